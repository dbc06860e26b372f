"""Background jobs on RQ, or in-process when no ``REDIS_URL`` is set.

Jobs take ids, never ORM objects, and run inside an app context. Callers enqueue only after
their transaction committed (:func:`enqueue_after_commit`), so a job never looks for a row that
is not there yet.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flask import Flask, current_app
from redis import Redis
from rq import Queue, Retry, Worker
from rq.job import Job
from sqlalchemy import event
from sqlalchemy.orm import Session

DEFAULT_QUEUE = "default"


def redis_connection() -> Redis:
    return Redis.from_url(current_app.config["REDIS_URL"])


def enqueue(
    func: Callable[..., Any],
    *args: Any,
    queue: str = DEFAULT_QUEUE,
    retry: Retry | None = None,
) -> Job | None:
    """Queue ``func(*args)`` on RQ; with no Redis configured, run it now in this process."""
    if not current_app.config["REDIS_URL"]:
        func(*args)
        return None
    return Queue(queue, connection=redis_connection()).enqueue(func, *args, retry=retry)


def enqueue_after_commit(
    session: Session, func: Callable[..., Any], *args: Any, **options: Any
) -> None:
    """Enqueue once ``session`` commits; nothing is queued if it rolls back."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def _after_commit(_session: Session) -> None:
        with app.app_context():
            enqueue(func, *args, **options)

    event.listen(session, "after_commit", _after_commit, once=True)


class AppWorker(Worker):
    """An RQ worker whose jobs run inside the Guichet app's context."""

    app: Flask

    def perform_job(self, job: Job, queue: Queue, *args: Any, **kwargs: Any) -> bool:
        # RQ 2+ also passes the job's execution; pass along whatever this RQ version gives.
        with self.app.app_context():
            return super().perform_job(job, queue, *args, **kwargs)


def run_worker(app: Flask, queues: Sequence[str], burst: bool = False) -> None:
    connection = Redis.from_url(app.config["REDIS_URL"])
    worker = AppWorker(list(queues), connection=connection)
    worker.app = app
    worker.work(burst=burst, with_scheduler=True)
