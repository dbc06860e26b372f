"""Guichet: one directory of a city's social services, for every phone.

``create_app`` is the only entry point; importing this package does no work.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: settings → extensions → blueprints → CLI."""
    import channels
    from gateway import (
        admin,
        cli,
        errors,
        extensions,
        health,
        helpline,
        i18n,
        limits,
        logs,
        security,
    )
    from gateway.config import environment, load_settings
    from gateway.db import db

    app = Flask(__name__, instance_relative_config=True)
    app.request_class = limits.Request
    app.config.update(load_settings(environment(), overrides, app.instance_path))
    logs.init_app(app)
    if app.config["DATABASE_URL"].startswith("sqlite:///"):
        import os

        os.makedirs(app.instance_path, exist_ok=True)

    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    db.init_app(app)
    i18n.init_app(app)
    extensions.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    app.register_blueprint(health.blueprint)
    helpline.init_app(app)
    admin.init_app(app)
    channels.init_app(app)
    cli.init_app(app)
    return app
