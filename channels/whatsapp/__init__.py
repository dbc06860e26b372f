"""The WhatsApp channel on Twilio: the SMS conversation, on WhatsApp's ``whatsapp:`` addresses.

Twilio posts WhatsApp messages to a webhook of the same shape as SMS (``views``), From and To
prefixed ``whatsapp:``; ``adapter`` strips the prefix, so a number is one resident (one
contact, one conversation, one opt-out) whether it texts or writes on WhatsApp, and hands the
message to the core's inbound pipeline (:mod:`gateway.messaging.inbound`) with WhatsApp's
text format. The reply is TwiML in the webhook's answer, so it goes back on WhatsApp.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from channels.whatsapp import views

    app.register_blueprint(views.blueprint)
