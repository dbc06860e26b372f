"""Flask extensions shared by several blueprints, created unbound and bound in the factory."""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect

# Every blueprint with forms (back office, lite site, dev phone) calls ``csrf.protect()``;
# Twilio's webhooks are signed instead, so nothing is checked by default.
csrf = CSRFProtect()


def init_app(app: Flask) -> None:
    app.config.update(
        WTF_CSRF_CHECK_DEFAULT=False,
        # A token lives as long as the session: a form left open an hour still saves.
        WTF_CSRF_TIME_LIMIT=None,
    )
    csrf.init_app(app)
