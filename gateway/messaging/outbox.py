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
caller commits. The limits hold under concurrent requests: a send waits for the contact's
turn (:func:`gateway.contacts.take_turn`) before it counts the number's sends, and takes its
segments from the day's budget in one conditional update (:mod:`.budget`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway import clock
from gateway.config import settings
from gateway.contacts import take_turn
from gateway.db import insert_for
from gateway.messaging import budget, limits
from gateway.messaging.gsm import encode_for_sms
from gateway.messaging.jobs import send_after_commit
from gateway.models import Contact, Direction, Message, MessageKind, MessageStatus
from gateway.models.messages import QUEUED_KINDS


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
    # The contact's turn before its limits are read: two sends to one number are counted one
    # after the other, and the turn comes before the daily budget's row (gateway.messaging.budget).
    take_turn(session, contact)
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
    hourly = settings().sms_rate_limit_per_hour
    if limits.gate(session, contact.id, now, hourly) is not limits.Gate.ANSWER:
        return Outcome.HOURLY_LIMIT
    if not budget.take(session, segments, now, queued=True):
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
