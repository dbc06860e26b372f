"""The SMS channel on Twilio: answers that fit in three segments, opt-out that holds.

``views`` has Twilio's webhook and status callback, ``adapter`` reads Twilio's form, writes
TwiML and hands each message to the core's inbound pipeline (:mod:`gateway.messaging.inbound`:
stored, answered, limited, recorded) whether it came from Twilio, ``guichet sms`` (``cli``) or
the dev phone (``dev``); ``render`` lays a reply out in one message and ``encoding`` does the
GSM-7 folding and packing.
"""

from __future__ import annotations

from flask import Flask

from gateway.config import settings


def init_app(app: Flask) -> None:
    from channels.sms import cli, views

    app.register_blueprint(views.blueprint)
    app.cli.add_command(cli.sms)
    if not settings(app).production or settings(app).dev_phone_page:
        from channels.sms import dev

        app.register_blueprint(dev.blueprint)
