"""Queue an outbound message: a row first, then a job once the row is committed.

Every message that is not a webhook's reply (a voice-menu handoff, an alert, a confirmation)
goes through :func:`queue_message`. It refuses, and records the refusal, when the resident
opted out or the city's daily segment budget would be exceeded; otherwise the row is QUEUED
and :func:`gateway.messaging.jobs.send_message` runs after the caller commits.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.messaging.gsm import encode_for_sms
from gateway.messaging.jobs import send_after_commit
from gateway.models import Contact, Direction, Message, MessageKind, MessageStatus

QUEUED_KINDS = frozenset({MessageKind.HANDOFF, MessageKind.ALERT, MessageKind.CONFIRMATION})


def start_of_day(now: datetime) -> datetime:
    """Midnight of ``now``'s day on the city's clock (``TIMEZONE``), in UTC."""
    local = now.astimezone(ZoneInfo(current_app.config["TIMEZONE"]))
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


def segments_today(session: Session, now: datetime) -> int:
    """Segments of every outbound message created today, replies included, refusals not."""
    total = session.scalar(
        select(func.coalesce(func.sum(Message.segments), 0)).where(
            Message.direction == Direction.OUTBOUND,
            Message.status != MessageStatus.REFUSED,
            Message.created_at >= start_of_day(now),
        )
    )
    return int(total or 0)


def within_daily_cap(session: Session, segments: int, now: datetime) -> bool:
    """Whether ``segments`` more stay within ``DAILY_SEGMENT_CAP`` for the city today.

    Two processes checking at once may both pass; the cap bounds cost, it is not a ledger.
    """
    return segments_today(session, now) + segments <= current_app.config["DAILY_SEGMENT_CAP"]


def queue_message(
    session: Session,
    *,
    to_number: str,
    body: str,
    kind: MessageKind,
    locale: str | None,
    contact: Contact,
) -> Message:
    """Store an outbound SMS to ``contact`` and send it once the caller commits.

    The body is folded to GSM-7 where it can be; its encoding and segments are stored. The
    returned row is QUEUED, or REFUSED (never sent, no number kept) when the contact opted
    out or the daily cap is reached. The caller owns the transaction.
    """
    if kind not in QUEUED_KINDS:
        raise ValueError(f"{kind} is not queued: replies go back in the webhook's response")
    sms = encode_for_sms(body)
    if not sms.units:
        raise ValueError("an SMS needs a body")
    if contact.id is None:  # created in this transaction
        session.flush()
    refused = contact.opted_out_at is not None or not within_daily_cap(
        session, sms.segments, datetime.now(UTC)
    )
    message = Message(
        direction=Direction.OUTBOUND,
        kind=kind,
        channel="sms",
        contact_id=contact.id,
        to_number=None if refused else to_number,
        body=sms.text,
        locale=locale,
        encoding=sms.encoding,
        segments=sms.segments,
        status=MessageStatus.REFUSED if refused else MessageStatus.QUEUED,
        attempts=0,
    )
    session.add(message)
    session.flush()
    if not refused:
        send_after_commit(session, message.id)
    return message
