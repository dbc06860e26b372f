"""The social workers' back office: keep the directory true, in every language, with a trail.

``init_app`` binds what the back office needs: session cookie flags and idle expiry, and the
blueprint (it checks CSRF itself, see ``gateway.extensions``; its Content-Security-Policy is the
app's default, see ``gateway.security``).
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from gateway.config import settings


def init_app(app: Flask) -> None:
    from gateway.admin.views import blueprint

    app.config.update(
        SESSION_COOKIE_SECURE=settings(app).production,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=settings(app).admin_idle_minutes),
    )
    app.register_blueprint(blueprint)
