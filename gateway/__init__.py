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
        config,
        errors,
        extensions,
        health,
        i18n,
        limits,
        logs,
        opendata,
        security,
    )
    from gateway.db import db

    app = Flask(__name__, instance_relative_config=True)
    app.request_class = limits.Request
    config.init_app(app, overrides)
    settings = config.settings(app)
    logs.init_app(app)
    if settings.database_url.startswith("sqlite:///"):
        import os

        os.makedirs(app.instance_path, exist_ok=True)

    if settings.trusted_proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    db.init_app(app)
    i18n.init_app(app)
    extensions.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    app.register_blueprint(health.blueprint)
    admin.init_app(app)
    opendata.init_app(app)
    channels.init_app(app)
    cli.init_app(app)
    return app
