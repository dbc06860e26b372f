"""gunicorn's hooks for the web process: ``gunicorn --config python:gateway.serving``.

A worker reads the directory and builds its search index before it takes its first request
(:func:`post_worker_init`), so that no resident's message waits for a cold start: a worker
restarted (a timeout, ``--max-requests``) comes back warm while the others answer, and none
takes a connection before it can answer it quickly.

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

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from gateway.db import db
from gateway.directory.listings import listings
from gateway.directory.queries import category_counts, directory_snapshot
from gateway.search.api import current_index
from gateway.sqlite import READ_ONLY

log = logging.getLogger(__name__)
# Seconds between a warming worker's heartbeats: gunicorn kills a worker silent for
# --timeout, and a large directory takes longer than that to read and index.
HEARTBEAT_SECONDS = 1.0


def warm(app: Flask) -> None:
    """Read the directory's snapshot, build its index, count its categories and group its
    places for the lists in this process, as the first search and the first page would. A
    database that does not answer is logged: requests then build them.

    What was built is then left out of the garbage collector's rounds (``gc.freeze``): it
    holds millions of objects for a large directory, which a full round would walk in the
    middle of some request; the snapshot and index hold no cycles, and reference counts
    still free them once replaced.
    """
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
    gc.freeze()


def post_worker_init(worker: Any) -> None:
    """gunicorn's hook, in a worker that loaded the app and has not yet accepted anything:
    warm it, telling the master it is alive meanwhile."""
    warming = threading.Thread(target=warm, args=(worker.wsgi,), name="guichet-warm")
    warming.start()
    while warming.is_alive():
        worker.notify()
        warming.join(HEARTBEAT_SECONDS)
