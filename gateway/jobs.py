"""Background jobs on RQ, or in-process when no ``REDIS_URL`` is set.

Jobs take ids, never ORM objects, and run inside an app context. Callers enqueue only after
their transaction committed (:func:`enqueue_after_commit`), so a job never looks for a row that
is not there yet. Redis being down never fails the caller: the work waits in its committed row
and the sweeper (:mod:`gateway.schedule`) queues it again once Redis is back.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import Queue, Retry, Worker
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from gateway.config import ConfigError, settings

log = logging.getLogger(__name__)
DEFAULT_QUEUE = "default"
# Seconds. A webhook that queues a job must not hang on a Redis that does not answer: the
# connect and every command give up quickly (RQ raises a worker's timeout above its BLPOP).
REDIS_CONNECT_TIMEOUT = 1.0
REDIS_SOCKET_TIMEOUT = 3.0
# A worker that lost Redis tries again after 1, 2, 4… seconds, at most this long apart.
RECONNECT_MAX_DELAY = 30.0
# An RQ job in one of these states will still run (or is running): its work is not lost.
PENDING = frozenset(
    {
        JobStatus.CREATED,
        JobStatus.QUEUED,
        JobStatus.STARTED,
        JobStatus.DEFERRED,
        JobStatus.SCHEDULED,
    }
)
_PENDING_KEY = "guichet.after_commit"


def connect_redis(url: str) -> Redis:
    """A Redis client for ``url`` whose connect and commands time out within seconds."""
    return Redis.from_url(
        url, socket_connect_timeout=REDIS_CONNECT_TIMEOUT, socket_timeout=REDIS_SOCKET_TIMEOUT
    )


def redis_connection(app: Flask | None = None) -> Redis:
    """A client for the (current) app's ``REDIS_URL``; callers have checked that it is set."""
    url = settings(app).redis_url
    if url is None:
        raise ConfigError("REDIS_URL is not set: jobs run in-process")
    return connect_redis(url)


def enqueue(
    func: Callable[..., Any],
    *args: Any,
    queue: str = DEFAULT_QUEUE,
    retry: Retry | None = None,
    job_id: str | None = None,
) -> Job | None:
    """Queue ``func(*args)`` on RQ; with no Redis configured, run it now in this process.

    ``job_id`` names the job so that :func:`job_pending` can tell later whether it still waits.
    Raises :class:`redis.exceptions.RedisError` when Redis cannot be reached.
    """
    if not settings().redis_url:
        func(*args)
        return None
    connection = redis_connection()
    try:
        return Queue(queue, connection=connection).enqueue(func, *args, retry=retry, job_id=job_id)
    finally:
        connection.close()


def job_pending(job_id: str) -> bool:
    """Whether RQ holds the job ``job_id`` waiting, scheduled for a retry, or running."""
    if not settings().redis_url:
        return False  # in-process jobs ran at once
    connection = redis_connection()
    try:
        return Job.fetch(job_id, connection=connection).get_status() in PENDING
    except NoSuchJobError:
        return False
    finally:
        connection.close()


@dataclass(frozen=True)
class _Pending:
    transaction: SessionTransaction
    run: Callable[[], None]


def _within(transaction: SessionTransaction | None, ended: SessionTransaction) -> bool:
    """Whether ``transaction`` is ``ended`` or one of its nested transactions."""
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


def _run_pending(session: Session) -> None:
    pending: list[_Pending] = session.info[_PENDING_KEY]
    committed, pending[:] = list(pending), []
    for work in committed:
        work.run()


def _forget_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    pending: list[_Pending] = session.info[_PENDING_KEY]
    pending[:] = [work for work in pending if not _within(work.transaction, previous_transaction)]


def _forget_on_close(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the session's transaction ended uncommitted (closed)
        session.info[_PENDING_KEY].clear()


def enqueue_after_commit(
    session: Session, func: Callable[..., Any], *args: Any, **options: Any
) -> None:
    """Enqueue once ``session`` commits; nothing is queued if it rolls back.

    The work is kept in ``session.info`` with the transaction it belongs to: a rollback of that
    transaction (or of a savepoint it was queued in), or the session's close, forgets it, so a
    later commit of the same session never runs it. If Redis refuses at commit time, the
    caller's commit still succeeds: one line is logged and the committed row waits for the
    sweeper.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def run() -> None:
        with app.app_context():
            try:
                enqueue(func, *args, **options)
            except RedisError as exc:
                log.warning("job %s not queued, Redis unreachable: %s", func.__qualname__, exc)

    if _PENDING_KEY not in session.info:
        event.listen(session, "after_commit", _run_pending)
        event.listen(session, "after_soft_rollback", _forget_rolled_back)
        event.listen(session, "after_transaction_end", _forget_on_close)
        session.info[_PENDING_KEY] = []
    transaction = session.get_nested_transaction() or session.get_transaction() or session.begin()
    session.info[_PENDING_KEY].append(_Pending(transaction, run))


class AppWorker(Worker):
    """An RQ worker whose jobs run inside the Guichet app's context."""

    app: Flask
    stop_requested = False

    def perform_job(self, job: Job, queue: Queue, *args: Any, **kwargs: Any) -> bool:
        # RQ 2+ also passes the job's execution; pass along whatever this RQ version gives.
        with self.app.app_context():
            return super().perform_job(job, queue, *args, **kwargs)

    def handle_warm_shutdown_request(self) -> None:
        self.stop_requested = True  # RQ's SIGTERM/SIGINT handler: not a lost connection
        super().handle_warm_shutdown_request()


def run_worker(app: Flask, queues: Sequence[str], burst: bool = False) -> None:
    """Work on ``queues`` until SIGTERM (or, with ``burst``, until they are empty).

    RQ's worker quits when Redis goes away mid-loop (a timeout, a refused heartbeat) and raises
    when it cannot register; :func:`keep_running` starts it again once Redis answers.
    """

    def work() -> bool:
        worker = AppWorker(list(queues), connection=redis_connection(app))
        worker.app = app
        try:
            worker.work(burst=burst, with_scheduler=True)
        except (RedisConnectionError, RedisTimeoutError):
            if not worker.stop_requested:
                raise
        return burst or worker.stop_requested

    keep_running("worker", work)


def keep_running(name: str, run: Callable[[], bool]) -> None:
    """Call ``run`` until it returns True (it was stopped, or it is done).

    A run that raises a Redis connection error, or returns False, lost Redis: one line is
    logged and it starts again after 1, 2, 4… seconds (at most ``RECONNECT_MAX_DELAY``), so
    that a Redis restart needs no process restart. SIGTERM or SIGINT during the wait stops it,
    as RQ's own warm shutdown does.
    """
    delay = 1.0
    while True:
        try:
            if run():
                return
            reason, delay = "its loop ended", 1.0  # it had registered: Redis had come back
        except (RedisConnectionError, RedisTimeoutError) as exc:
            reason = str(exc)
        log.warning("%s lost Redis (%s); starting again in %.0f s", name, reason, delay)
        if _stopped_within(delay):
            return
        delay = min(delay * 2, RECONNECT_MAX_DELAY)


def _stopped_within(seconds: float) -> bool:
    """Sleep ``seconds``; True as soon as SIGTERM or SIGINT arrives."""
    stop = threading.Event()
    previous = {
        number: signal.signal(number, lambda *_: stop.set())
        for number in (signal.SIGTERM, signal.SIGINT)
    }
    try:
        return stop.wait(seconds)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
