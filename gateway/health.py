"""``/healthz``: tells a load balancer whether this process can serve, within 2 s whatever.

Each check runs on a thread of its own, the database's on this process's own engine (a pool
whose connections are all stuck means this process cannot serve), and the answer waits
``HEALTH_CHECK_TIMEOUT`` seconds at most for them: a database that accepts connections and
never answers makes a 503 that says so, not a hung health check. A check that overruns its
wait ends on its own within the engine's timeouts; nobody waits for it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from flask import Blueprint, current_app
from sqlalchemy import Engine

from gateway.config import settings
from gateway.db import db

blueprint = Blueprint("health", __name__)
# Where an app being warmed (gateway.serving) keeps the event set once it is warm.
WARMED = "guichet.warmed"


def _check_database(engine: Engine) -> None:
    # Below SQLAlchemy's transactions: on SQLite they would queue for the write lock, which
    # a reader does not need.
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("SELECT 1")
        cursor.close()
    finally:
        connection.close()


def _check_redis(url: str) -> None:
    from redis import Redis

    client = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    finally:
        client.close()


def _outcome(future: Future[None], deadline: float) -> str:
    try:
        future.result(timeout=max(0.0, deadline - time.monotonic()))
    except TimeoutError:
        return "error: no answer in time"
    except Exception as exc:  # noqa: BLE001 - any failure means "not healthy", and we say why
        return f"error: {type(exc).__name__}"
    return "ok"


@blueprint.get("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    engine = db.engine  # read here: the checks' threads have no app context
    checks: dict[str, Callable[[], None]] = {"database": lambda: _check_database(engine)}
    redis_url = settings().redis_url
    if redis_url:
        checks["redis"] = lambda: _check_redis(redis_url)
    deadline = time.monotonic() + settings().health_check_timeout
    executor = ThreadPoolExecutor(max_workers=len(checks), thread_name_prefix="healthz")
    try:
        futures = {name: executor.submit(check) for name, check in checks.items()}
        answer = {name: _outcome(future, deadline) for name, future in futures.items()}
    finally:
        executor.shutdown(wait=False)
    healthy = all(outcome == "ok" for outcome in answer.values())
    answer["status"] = "ok" if healthy else "unavailable"
    warmed = current_app.extensions.get(WARMED)
    if warmed is not None and not warmed.is_set():
        answer["read_model"] = answer["status"] = "starting"
        healthy = False
    return answer, 200 if healthy else 503
