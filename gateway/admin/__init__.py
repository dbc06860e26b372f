"""The social workers' back office: keep the directory true, in every language, with a trail.

``init_app`` binds what the back office needs: CSRF protection (checked by the admin
blueprint itself, so that Twilio's webhooks are not asked for a token), session cookie
flags and idle expiry, and the blueprint with its security headers.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()


def init_app(app: Flask) -> None:
    from gateway.admin.views import blueprint

    production = not (app.config["TESTING"] or app.config["DEBUG"])
    app.config.update(
        # Each blueprint that takes forms calls ``csrf.protect()``; webhooks are signed instead.
        WTF_CSRF_CHECK_DEFAULT=False,
        # A token lives as long as the session: a form left open an hour still saves.
        WTF_CSRF_TIME_LIMIT=None,
        SESSION_COOKIE_SECURE=production,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=app.config["ADMIN_IDLE_MINUTES"]),
    )
    csrf.init_app(app)
    app.register_blueprint(blueprint)
