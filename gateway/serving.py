"""gunicorn's hooks for the web process: ``gunicorn --config python:gateway.serving``.

A worker reads the directory and builds its search index in a thread of its own as soon as
it has loaded the app (:func:`post_worker_init`), so that no request runs that build: a
request that comes meanwhile waits for it, ``WARM_WAIT_SECONDS`` at most, then is answered
503 with ``Retry-After``; ``/healthz`` answers 503 "starting" until the build is done, so a
load balancer sends nothing to a worker that cannot answer quickly. The worker's main loop
keeps telling gunicorn's master it is alive, so ``--timeout`` never stops a build, however
large the directory: only a request's wait counts against it, and that wait is shorter.

Each worker builds its own rather than inheriting the master's through ``--preload``: a
master that had read the directory would hand every worker its database connections and
whatever thread it had started, and Python's reference counts soon copy the pages the fork
shared, so sharing would save little memory for those hazards.
"""

from __future__ import annotations

import gc
import logging
import threading
from typing import Any

from flask import Flask, Response, request
from sqlalchemy.exc import SQLAlchemyError

from gateway.db import db
from gateway.directory.listings import listings
from gateway.directory.queries import category_counts, directory_snapshot
from gateway.errors import busy
from gateway.health import WARMED
from gateway.search.api import current_index
from gateway.sqlite import READ_ONLY

log = logging.getLogger(__name__)
# Seconds a request that came while the worker warms waits for it, under gunicorn's default
# 30 s --timeout (a sync worker waiting in a request tells the master nothing) and past
# Twilio's 15 s, after which an answer is of no use to the webhook anyway.
WARM_WAIT_SECONDS = 20.0


def warm(app: Flask, warmed: threading.Event | None = None) -> None:
    """Read the directory's snapshot, build its index, count its categories and group its
    places for the lists in this process, as the first search and the first page would. A
    database that does not answer is logged: requests then build them.

    What was built is then left out of the garbage collector's rounds (``gc.freeze``): it
    holds millions of objects for a large directory, which a full round would walk in the
    middle of some request; the snapshot and index hold no cycles, and reference counts
    still free them once replaced. ``warmed`` is set once done, whatever the outcome.
    """
    try:
        _build(app)
        gc.freeze()
    finally:
        if warmed is not None:
            warmed.set()


def _build(app: Flask) -> None:
    with app.app_context():
        try:
            # Read-only: on SQLite a write turn held for the whole read would hold up the
            # other workers' writes, and their own warming.
            db.session.connection(execution_options={READ_ONLY: True})
            current_index(db.session)
            category_counts(db.session)
            listings(directory_snapshot(db.session))
        except SQLAlchemyError as error:
            log.warning(
                "directory not read before the first request",
                extra={"error": type(error).__name__},
            )


def hold_until_warm(app: Flask) -> threading.Event:
    """Make ``app``'s requests wait for the event returned to be set (``/healthz`` excepted,
    which says "starting" meanwhile)."""
    warmed = threading.Event()
    app.extensions[WARMED] = warmed

    def wait_until_warm() -> Response | None:
        if warmed.is_set() or request.endpoint == "health.healthz":
            return None
        if warmed.wait(WARM_WAIT_SECONDS):
            return None
        log.warning("still reading the directory: %s %s answered 503", request.method, request.path)
        return busy()

    app.before_request_funcs.setdefault(None, []).insert(0, wait_until_warm)
    return warmed


def post_worker_init(worker: Any) -> None:
    """gunicorn's hook, in a worker that loaded the app and has not yet accepted anything:
    warm it in the background, its requests waiting for that."""
    warmed = hold_until_warm(worker.wsgi)
    threading.Thread(target=warm, args=(worker.wsgi, warmed), name="guichet-warm").start()
