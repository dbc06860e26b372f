"""``/healthz``: tells a load balancer whether this process can serve."""

from __future__ import annotations

from flask import Blueprint, current_app
from sqlalchemy import text

from gateway.db import db

blueprint = Blueprint("health", __name__)


def _check_redis(url: str) -> None:
    from redis import Redis

    client = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    finally:
        client.close()


@blueprint.get("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    checks: dict[str, str] = {}
    healthy = True
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means "not healthy", and we say why
        db.session.rollback()
        checks["database"] = f"error: {type(exc).__name__}"
        healthy = False
    redis_url = current_app.config["REDIS_URL"]
    if redis_url:
        try:
            _check_redis(redis_url)
            checks["redis"] = "ok"
        except Exception as exc:  # noqa: BLE001
            checks["redis"] = f"error: {type(exc).__name__}"
            healthy = False
    checks["status"] = "ok" if healthy else "unavailable"
    return checks, 200 if healthy else 503
