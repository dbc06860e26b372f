"""The background jobs of outbound messaging. They take ids and run inside an app context.

:func:`send_message` commits the row as SENDING, with the attempt counted, before it calls the
provider: a worker that dies mid-send leaves the row visibly unsent, and RQ retries the
abandoned job. The price is that such a message may, rarely, go out twice; it is never lost.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import current_app
from rq import Retry, get_current_job
from sqlalchemy import update

from gateway.config import ConfigError
from gateway.contacts import opt_out
from gateway.db import db
from gateway.messaging.provider import PERMANENT_REFUSALS, UNSUBSCRIBED, SendError, sms_provider
from gateway.messaging.retention import Purged, purge_old_bodies
from gateway.models import Contact, Message, MessageStatus

log = logging.getLogger(__name__)
# A row in these states still waits to be sent; SENDING means an attempt did not finish.
SENDABLE = (MessageStatus.QUEUED, MessageStatus.SENDING)


def retry_policy() -> Retry:
    """RQ's retries for a send: one per interval of ``SEND_RETRY_INTERVALS`` (seconds)."""
    raw = current_app.config["SEND_RETRY_INTERVALS"]
    try:
        intervals = [int(part) for part in raw.split(",")]
        return Retry(max=len(intervals), interval=intervals)
    except ValueError as exc:
        raise ConfigError(
            f"SEND_RETRY_INTERVALS={raw!r}: expected seconds separated by commas, e.g. 10,30,120"
        ) from exc


def _last_attempt() -> bool:
    """RQ gives up after this run when no retry is left; an in-process run has none."""
    job = get_current_job()
    return job is None or not job.retries_left


def _finish(message: Message, status: MessageStatus, error_code: int | None = None) -> None:
    message.status = status
    message.error_code = error_code
    message.to_number = None  # a final state keeps no number


def send_message(message_id: int) -> None:
    """Send the outbound message ``message_id`` through the app's provider.

    Does nothing for a row already sent, refused or failed. Network trouble, 429 and 5xx put
    the row back to QUEUED and raise while RQ has a retry left, so it retries with backoff;
    after the last one the row is FAILED. A permanent refusal marks it REFUSED (21211, 21610,
    21614) or FAILED and is not retried. The row, not the job, is the record of the outcome:
    a job that gives up returns normally (in-process, raising would break the caller's
    session, which is committing).
    """
    session = db.session
    message = session.scalars(
        update(Message)
        .where(Message.id == message_id, Message.status.in_(SENDABLE))
        .values(status=MessageStatus.SENDING, attempts=Message.attempts + 1)
        .returning(Message)
    ).one_or_none()
    session.commit()
    if message is None:
        return
    contact = session.get(Contact, message.contact_id) if message.contact_id else None
    if contact is not None and contact.opted_out_at is not None:
        _finish(message, MessageStatus.REFUSED)  # STOP arrived after the message was queued
        session.commit()
        return
    if not (message.to_number and message.body):
        _finish(message, MessageStatus.FAILED)  # purged before it could be sent
        session.commit()
        return
    try:
        sent = sms_provider().send(message.to_number, message.body)
    except SendError as error:
        if error.retry and not _last_attempt():
            message.status, message.error_code = MessageStatus.QUEUED, error.code
            session.commit()
            raise
        refused = error.code in PERMANENT_REFUSALS
        _finish(message, MessageStatus.REFUSED if refused else MessageStatus.FAILED, error.code)
        if error.code == UNSUBSCRIBED and contact is not None:
            opt_out(contact, datetime.now(UTC))
        session.commit()
        log.warning("message %s not sent, %s: %s", message.id, message.status, error)
        return
    message.status, message.provider_sid, message.error_code = MessageStatus.SENT, sent.sid, None
    message.sent_at = datetime.now(UTC)
    session.commit()


def purge_retention(days: int | None = None) -> Purged:
    """Blank what is older than ``days`` (``RETENTION_DAYS``); run daily by a scheduler."""
    session = db.session
    purged = purge_old_bodies(
        session, datetime.now(UTC), days or current_app.config["RETENTION_DAYS"]
    )
    session.commit()
    return purged
