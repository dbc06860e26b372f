"""Periodic work: the daily retention purge, and settling messages left unsent.

Run by one ``guichet cron`` process (Procfile ``clock``) on RQ's cron scheduler; the jobs
themselves run on the workers. Without Redis, ``guichet purge`` can be called from the
system's cron instead.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import Flask
from rq.cron import CronScheduler
from sqlalchemy import select

from gateway import clock
from gateway.config import settings
from gateway.db import db
from gateway.jobs import DEFAULT_QUEUE, job_pending, keep_running, redis_connection
from gateway.messaging.jobs import (
    purge_retention,
    reconcile_message,
    send_job_id,
    send_later,
)
from gateway.models import Direction, Message, MessageStatus

log = logging.getLogger(__name__)


def stale_after() -> tuple[timedelta, timedelta]:
    """How old a SENDING row and a QUEUED row must be for the sweeper to settle them.

    ``SEND_STALE_AFTER_SECONDS`` is longer than any send takes (the pacing wait plus the
    provider's HTTP timeout): an attempt that old that recorded no outcome will never record
    one. A QUEUED row has its job on Redis within milliseconds of its commit; one half that old
    with no job pending (Redis was down, or RQ gave the job up) has lost it.
    """
    seconds = settings().send_stale_after_seconds
    return timedelta(seconds=seconds), timedelta(seconds=seconds / 2)


def requeue_stale_messages(now: datetime | None = None) -> int:
    """Settle the outbound rows left unsent; return how many were reconciled or re-queued.

    A row SENDING for longer than :func:`stale_after` says (its worker died mid-send) is
    reconciled with the provider before any resend (:func:`reconcile_message`). A row QUEUED
    for longer than that whose named job RQ no longer holds is queued again;
    ``send_message`` claims a row atomically, so a second job for it never sends it twice.
    """
    now = now or clock.now()
    sending_stale, queued_stale = stale_after()
    session = db.session
    unsent = session.execute(
        select(Message.id, Message.status).where(
            Message.direction == Direction.OUTBOUND,
            ((Message.status == MessageStatus.SENDING) & (Message.updated_at < now - sending_stale))
            | (
                (Message.status == MessageStatus.QUEUED) & (Message.updated_at < now - queued_stale)
            ),
        )
    ).all()
    session.commit()  # end the read: each row is settled in a transaction of its own
    settled = 0
    for message_id, status in unsent:
        if status == MessageStatus.SENDING:
            settled += reconcile_message(message_id, now - sending_stale) is not None
        elif not job_pending(send_job_id(message_id)):
            send_later(message_id)
            settled += 1
    if settled:
        log.warning("settled %d outbound messages left unsent", settled)
    return settled


def run_scheduler(app: Flask) -> None:
    """Register the periodic jobs and run RQ's cron scheduler until stopped.

    RQ's scheduler raises when Redis goes away; it is started again once Redis answers, so the
    sweeper keeps running through an outage (:func:`gateway.jobs.keep_running`).
    """

    def schedule() -> bool:
        scheduler = CronScheduler(connection=redis_connection(app))
        scheduler.register(purge_retention, DEFAULT_QUEUE, cron="17 3 * * *")
        scheduler.register(
            requeue_stale_messages, DEFAULT_QUEUE, interval=settings(app).sweep_interval_seconds
        )
        scheduler.start()  # returns once stopped by SIGTERM or SIGINT
        return True

    keep_running("cron scheduler", schedule)
