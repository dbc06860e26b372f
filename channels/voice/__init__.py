"""The voice channel on Twilio: a keypad menu, slow and in the caller's language.

``views`` has the routes, ``adapter`` reads Twilio's requests and keeps a hidden caller's place
in URLs, ``render`` says the engine's replies as TwiML, ``prompts`` and ``speech`` choose the
words, recordings and voices, ``records`` keeps call statistics, ``cli`` walks the menu in a
terminal. The core decides: whether the helpline answers (``gateway.helpline``) and what the
SMS of a ``#`` says (``gateway.messaging.handoff``).
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from channels.voice import cli, views

    app.register_blueprint(views.blueprint)
    app.cli.add_command(cli.call)
