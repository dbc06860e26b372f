"""Queue an outbound message: a row first, then a job once the row is committed.

Every message that is not a webhook's reply (a voice-menu handoff, an alert, a confirmation)
goes through :func:`queue_send`, so that no request and no caller can multiply sends:

- a send named by a :class:`Once` key (``handoff:<call>:<service id>``) is stored at most
  once: the key is unique in the database and inserted with ``ON CONFLICT DO NOTHING``, so a
  replayed webhook, or five deliveries of it at once, find the first row and send nothing more;
- a :class:`Once` scope (one call) holds at most ``limit`` sends;
- the number's hourly limit is the one SMS answers count against (:mod:`.limits`);
- queued messages may use ``QUEUED_SEGMENT_SHARE`` of the city's ``DAILY_SEGMENT_CAP``, and
  answers all of it, so residents' answers are never starved by what callers ask for.

A refusal is stored as a REFUSED row (never sent, no number kept) and its reason returned;
otherwise the row is QUEUED and :func:`gateway.messaging.jobs.send_message` runs after the
caller commits. The limits are counts read before the write: two requests checking at once
may both pass (they bound cost, they are not a ledger); only the key is exact.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from gateway import clock
from gateway.db import insert_for
from gateway.messaging import limits
from gateway.messaging.gsm import encode_for_sms
from gateway.messaging.jobs import send_after_commit
from gateway.models import Contact, Direction, Message, MessageKind, MessageStatus

QUEUED_KINDS = frozenset({MessageKind.HANDOFF, MessageKind.ALERT, MessageKind.CONFIRMATION})


class Outcome(enum.StrEnum):
    """What became of a request to send."""

    QUEUED = "queued"
    DUPLICATE = "duplicate"  # this very send (its key) was queued before: nothing more
    OPTED_OUT = "opted_out"
    SCOPE_FULL = "scope_full"  # its scope (one call) has had all its sends
    HOURLY_LIMIT = "hourly_limit"  # the number has had SMS_RATE_LIMIT_PER_HOUR messages
    DAILY_CAP = "daily_cap"  # the queued share of the city's daily segments is spent


@dataclass(frozen=True)
class Once:
    """A send that happens at most once: ``item`` within ``scope``, at most ``limit`` per scope.

    ``scope`` names where the request comes from ("handoff:<call>"), ``item`` what is sent
    (a service id); neither holds a ``:`` of its own. ``limit`` 0 means no limit per scope.
    """

    scope: str
    item: str
    limit: int = 0

    @property
    def key(self) -> str:
        return f"{self.scope}:{self.item}"


@dataclass(frozen=True)
class Queued:
    """The outcome of :func:`queue_send` and its row: the new one, or for a duplicate the first."""

    outcome: Outcome
    message: Message


def start_of_day(now: datetime) -> datetime:
    """Midnight of ``now``'s day on the city's clock (``TIMEZONE``), in UTC."""
    local = now.astimezone(ZoneInfo(current_app.config["TIMEZONE"]))
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


def _segments_today(session: Session, now: datetime) -> tuple[int, int]:
    """Segments of today's outbound messages (refusals not), all of them and the queued ones."""
    queued = case((Message.kind.in_(QUEUED_KINDS), Message.segments), else_=0)
    total, of_queued = session.execute(
        select(
            func.coalesce(func.sum(Message.segments), 0), func.coalesce(func.sum(queued), 0)
        ).where(
            Message.direction == Direction.OUTBOUND,
            Message.status != MessageStatus.REFUSED,
            Message.created_at >= start_of_day(now),
        )
    ).one()
    return int(total or 0), int(of_queued or 0)


def segments_today(session: Session, now: datetime) -> int:
    """Segments of every outbound message created today, replies included, refusals not."""
    return _segments_today(session, now)[0]


def within_daily_cap(
    session: Session, segments: int, now: datetime, *, queued: bool = False
) -> bool:
    """Whether ``segments`` more stay within ``DAILY_SEGMENT_CAP`` for the city today.

    A ``queued`` message must also stay within its share (``QUEUED_SEGMENT_SHARE``) of the cap,
    counted over the queued messages only; an answer may use all of the cap.
    """
    cap = current_app.config["DAILY_SEGMENT_CAP"]
    total, of_queued = _segments_today(session, now)
    if total + segments > cap:
        return False
    return not queued or of_queued + segments <= int(
        cap * current_app.config["QUEUED_SEGMENT_SHARE"]
    )


def queue_send(
    session: Session,
    *,
    to_number: str,
    body: str,
    kind: MessageKind,
    locale: str | None,
    contact: Contact,
    once: Once | None = None,
) -> Queued:
    """Store an outbound SMS to ``contact`` and send it once the caller commits.

    The body is folded to GSM-7 where it can be; its encoding and segments are stored. With
    ``once``, the send happens at most once for its key and ``once.limit`` times for its scope.
    The caller owns the transaction.
    """
    if kind not in QUEUED_KINDS:
        raise ValueError(f"{kind} is not queued: replies go back in the webhook's response")
    sms = encode_for_sms(body)
    if not sms.units:
        raise ValueError("an SMS needs a body")
    if contact.id is None:  # created in this transaction
        session.flush()
    if once is not None and (earlier := _sent_once(session, once)) is not None:
        return Queued(Outcome.DUPLICATE, earlier)
    now = clock.now()
    values: dict[str, Any] = {
        "direction": Direction.OUTBOUND,
        "kind": kind,
        "channel": "sms",
        "contact_id": contact.id,
        "body": sms.text,
        "locale": locale,
        "encoding": sms.encoding,
        "segments": sms.segments,
        "attempts": 0,
        "created_at": now,
    }
    refusal = _refusal(session, contact, sms.segments, once, now)
    if refusal is not None:
        message = Message(**values, status=MessageStatus.REFUSED)
        session.add(message)
        session.flush()
        return Queued(refusal, message)
    values |= {"to_number": to_number, "status": MessageStatus.QUEUED}
    if once is None:
        message = Message(**values)
        session.add(message)
        session.flush()
    else:
        inserted = _insert_once(session, values | {"dedupe_key": once.key})
        if inserted is None:  # a concurrent request stored it first, and committed
            earlier = _sent_once(session, once)
            assert earlier is not None, "the key's row conflicted, so it exists"
            return Queued(Outcome.DUPLICATE, earlier)
        message = inserted
    send_after_commit(session, message.id)
    return Queued(Outcome.QUEUED, message)


def _refusal(
    session: Session, contact: Contact, segments: int, once: Once | None, now: datetime
) -> Outcome | None:
    if contact.opted_out_at is not None:
        return Outcome.OPTED_OUT
    if once is not None and once.limit > 0 and _sends_in(session, contact, once) >= once.limit:
        return Outcome.SCOPE_FULL
    hourly = current_app.config["SMS_RATE_LIMIT_PER_HOUR"]
    if limits.gate(session, contact.id, now, hourly) is not limits.Gate.ANSWER:
        return Outcome.HOURLY_LIMIT
    if not within_daily_cap(session, segments, now, queued=True):
        return Outcome.DAILY_CAP
    return None


def _sent_once(session: Session, once: Once) -> Message | None:
    return session.scalar(select(Message).where(Message.dedupe_key == once.key))


def _sends_in(session: Session, contact: Contact, once: Once) -> int:
    """How many sends ``once``'s scope has had (read among the contact's counted rows)."""
    count = session.scalar(
        select(func.count(Message.id)).where(
            Message.contact_id == contact.id,
            Message.direction == Direction.OUTBOUND,
            Message.status != MessageStatus.REFUSED,
            Message.dedupe_key.startswith(f"{once.scope}:", autoescape=True),
        )
    )
    return int(count or 0)


def _insert_once(session: Session, values: dict[str, Any]) -> Message | None:
    """Insert the row unless its ``dedupe_key`` is taken; None when it was.

    ``ON CONFLICT DO NOTHING`` rather than a savepoint and an IntegrityError: on PostgreSQL a
    concurrent insert of the same key waits for the first transaction, then does nothing.
    """
    statement = (
        insert_for(session, Message)
        .values(values)
        .on_conflict_do_nothing(index_elements=[Message.dedupe_key])
        .returning(Message.id)
    )
    message_id = session.scalar(statement)
    return session.get(Message, message_id) if message_id is not None else None
