"""The background jobs of outbound messaging. They take ids and run inside an app context.

:func:`send_message` commits the row as SENDING, with the attempt counted, before it calls the
provider: a worker that dies mid-send leaves the row SENDING, its outcome unknown. No job sends
such a row again; :func:`reconcile_message` (run by the sweeper once the attempt is older than
any send takes) first asks the provider whether it holds the message, records it SENT if so,
and only otherwise queues it again. A message is never lost, and a crash does not send it twice.
"""

from __future__ import annotations

import logging
from datetime import datetime

from rq import Retry, get_current_job
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gateway import clock
from gateway.config import settings
from gateway.contacts import opt_out
from gateway.db import db
from gateway.jobs import enqueue, enqueue_after_commit
from gateway.messaging import budget
from gateway.messaging.provider import PERMANENT_REFUSALS, UNSUBSCRIBED, SendError, sms_provider
from gateway.messaging.retention import Purged, purge_old_bodies
from gateway.models import Contact, Message, MessageStatus

log = logging.getLogger(__name__)


def retry_policy() -> Retry:
    """RQ's retries for a send: one per interval of ``SEND_RETRY_INTERVALS`` (seconds)."""
    intervals = list(settings().send_retry_intervals)
    return Retry(max=len(intervals), interval=intervals)


def send_job_id(message_id: int) -> str:
    """The RQ job that sends ``message_id``: named, so that the sweeper sees whether it waits."""
    return f"send-message-{message_id}"


def send_after_commit(session: Session, message_id: int) -> None:
    """Queue the send of ``message_id`` once ``session`` commits (with RQ's retries)."""
    enqueue_after_commit(
        session, send_message, message_id, retry=retry_policy(), job_id=send_job_id(message_id)
    )


def send_later(message_id: int) -> None:
    """Queue the send of the committed QUEUED row ``message_id`` now."""
    enqueue(send_message, message_id, retry=retry_policy(), job_id=send_job_id(message_id))


def _last_attempt() -> bool:
    """RQ gives up after this run when no retry is left; an in-process run has none."""
    job = get_current_job()
    return job is None or not job.retries_left


def _finish(message: Message, status: MessageStatus, error_code: int | None = None) -> None:
    if status is MessageStatus.REFUSED:
        budget.give_back(db.session, message)  # never sent: its segments cost nothing
    message.status = status
    message.error_code = error_code
    message.to_number = None  # a final state keeps no number


def _log_outcome(message: Message, why: str) -> None:
    """The one line of a send job's outcome: the row's id, kind, status and the provider's
    error code, never its number or its words."""
    log.log(
        logging.INFO if message.status == MessageStatus.SENT else logging.WARNING,
        "message %s %s: %s",
        message.id,
        message.status,
        why,
        extra={"kind": str(message.kind), "error_code": message.error_code},
    )


def send_message(message_id: int) -> None:
    """Send the outbound message ``message_id`` through the app's provider.

    Claims only a QUEUED row, atomically, so two jobs for one row send it once. Does nothing
    for a row already sent, refused or failed, nor for one left SENDING by an attempt whose
    outcome is unknown: that one is :func:`reconcile_message`'s. Network trouble, 429 and 5xx put
    the row back to QUEUED and raise while RQ has a retry left, so it retries with backoff;
    after the last one the row is FAILED. A permanent refusal marks it REFUSED (21211, 21610,
    21614) or FAILED and is not retried. The row, not the job, is the record of the outcome:
    a job that gives up returns normally (in-process, raising would break the caller's
    session, which is committing).
    """
    session = db.session
    message = session.scalars(
        update(Message)
        .where(Message.id == message_id, Message.status == MessageStatus.QUEUED)
        .values(status=MessageStatus.SENDING, attempts=Message.attempts + 1)
        .returning(Message)
    ).one_or_none()
    session.commit()
    if message is None:
        return
    contact = session.get(Contact, message.contact_id) if message.contact_id else None
    if contact is not None and contact.opted_out_at is not None:
        _finish(message, MessageStatus.REFUSED)
        session.commit()
        _log_outcome(message, "opted out after it was queued")
        return
    if not (message.to_number and message.body):
        _finish(message, MessageStatus.FAILED)
        session.commit()
        _log_outcome(message, "purged before it could be sent")
        return
    try:
        sent = sms_provider().send(message.to_number, message.body)
    except SendError as error:
        if error.unknown and settings().redis_url:
            # The provider may hold it: the row stays SENDING for the sweeper to reconcile.
            log.warning(
                "message %s: provider's answer lost, left to reconcile: %s", message.id, error
            )
            return
        if error.retry and not _last_attempt():
            message.status, message.error_code = MessageStatus.QUEUED, error.code
            session.commit()
            raise
        refused = error.code in PERMANENT_REFUSALS
        _finish(message, MessageStatus.REFUSED if refused else MessageStatus.FAILED, error.code)
        if error.code == UNSUBSCRIBED and contact is not None:
            opt_out(contact, clock.now())
        session.commit()
        _log_outcome(message, str(error))
        return
    message.status, message.provider_sid, message.error_code = MessageStatus.SENT, sent.sid, None
    message.sent_at = clock.now()
    session.commit()
    _log_outcome(message, f"attempt {message.attempts}")


def reconcile_message(message_id: int, started_before: datetime) -> MessageStatus | None:
    """Settle the row ``message_id`` left SENDING by an attempt started before ``started_before``.

    The provider is asked what it holds for the row's number and body since the attempt
    started: a message it took whose SID no row of ours has yet is this one, and the row is
    recorded SENT with that SID. Only when it holds none is the row QUEUED and sent again
    (FAILED once the attempts RQ would allow are spent). Returns the row's new status, or None
    when it was not SENDING since before ``started_before`` or the provider could not be asked
    (the next sweep tries again).
    """
    session = db.session
    message = session.scalar(
        select(Message).where(
            Message.id == message_id,
            Message.status == MessageStatus.SENDING,
            Message.updated_at < started_before,
        )
    )
    if message is None:
        session.rollback()
        return None
    values: dict[str, object] = {}
    if not (message.to_number and message.body):
        status = MessageStatus.FAILED  # purged meanwhile: nothing to ask about or to send
    else:
        try:
            held = sms_provider().find_sent(message.to_number, message.body, message.updated_at)
        except SendError as error:
            session.rollback()
            log.warning("message %s not reconciled, provider not asked: %s", message_id, error)
            return None
        sids = [sent.sid for sent in held]
        known = set(
            session.scalars(select(Message.provider_sid).where(Message.provider_sid.in_(sids)))
        )
        ours = next((sent for sent in held if sent.sid not in known), None)
        if ours is not None:
            status = MessageStatus.SENT
            values = {"provider_sid": ours.sid, "error_code": None, "sent_at": clock.now()}
        elif message.attempts > retry_policy().max:
            status = MessageStatus.FAILED
        else:
            status = MessageStatus.QUEUED
    if status == MessageStatus.FAILED:
        values = {"to_number": None}  # a final state keeps no number
    settled = session.execute(
        update(Message)
        .where(
            Message.id == message_id,
            Message.status == MessageStatus.SENDING,
            Message.updated_at < started_before,  # not claimed again since
        )
        .values(status=status, **values)
    ).rowcount  # type: ignore[attr-defined]
    session.commit()
    if not settled:
        return None  # another sweep settled it meanwhile
    log.warning("message %s left sending reconciled: %s", message_id, status)
    if status == MessageStatus.QUEUED:
        send_later(message_id)
    return status


def purge_retention(days: int | None = None) -> Purged:
    """Blank what is older than ``days`` (``RETENTION_DAYS``); run daily by a scheduler."""
    session = db.session
    purged = purge_old_bodies(session, clock.now(), days or settings().retention_days)
    session.commit()
    return purged
