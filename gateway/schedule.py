"""Periodic work: the daily retention purge, and re-queueing messages whose job was lost.

Run by one ``guichet cron`` process (Procfile ``clock``) on RQ's cron scheduler; the jobs
themselves run on the workers. Without Redis, ``guichet purge`` can be called from the
system's cron instead.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from flask import Flask
from redis import Redis
from rq.cron import CronScheduler
from sqlalchemy import select

from gateway.db import db
from gateway.jobs import DEFAULT_QUEUE, enqueue
from gateway.messaging.jobs import SENDABLE, purge_retention, retry_policy, send_message
from gateway.models import Direction, Message

log = logging.getLogger(__name__)
# Longer than the longest retry backoff: a row untouched for this long has no job waiting.
STALE_AFTER = timedelta(hours=1)


def requeue_stale_messages(now: datetime | None = None) -> int:
    """Queue again the outbound rows still unsent long after their last attempt.

    A job can be lost when Redis was down at the moment of queueing, or a worker died after
    RQ's own retries ran out. ``send_message`` claims a row atomically and skips rows already
    sent, so a second job for the same row never sends it twice.
    """
    cutoff = (now or datetime.now(UTC)) - STALE_AFTER
    session = db.session
    stale = session.scalars(
        select(Message.id).where(
            Message.direction == Direction.OUTBOUND,
            Message.status.in_(SENDABLE),
            Message.updated_at < cutoff,
        )
    ).all()
    for message_id in stale:
        enqueue(send_message, message_id, retry=retry_policy())
    if stale:
        log.warning("re-queued %d outbound messages left unsent", len(stale))
    return len(stale)


def run_scheduler(app: Flask) -> None:
    """Register the periodic jobs and run RQ's cron scheduler until stopped."""
    scheduler = CronScheduler(connection=Redis.from_url(app.config["REDIS_URL"]))
    scheduler.register(purge_retention, DEFAULT_QUEUE, cron="17 3 * * *")
    scheduler.register(requeue_stale_messages, DEFAULT_QUEUE, interval=600)
    scheduler.start()
