"""How many answers one number gets: ``SMS_RATE_LIMIT_PER_HOUR``, then one notice, then silence.

Counted from the stored reply rows of the contact, so every web process agrees without Redis.
A number that has had its answers in the last hour gets one polite notice; the notice is the
reply that found the hour full, and for an hour after it the number gets no answer at all.
(A notice recognised this way needs no column of its own: it is the newest reply, and the hour
before it already held the limit.) Messages keep being stored and understood meanwhile, so a
STOP or a FORGET still takes effect.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.models import Direction, Message, MessageKind

WINDOW = timedelta(hours=1)


class Gate(enum.StrEnum):
    ANSWER = "answer"
    NOTICE = "notice"  # the limit is reached: say so once
    SILENCE = "silence"  # the notice was sent less than an hour ago


def decide(replied_at: list[datetime], now: datetime, limit: int) -> Gate:
    """The gate for a message at ``now`` given the times of the number's earlier replies.

    ``limit`` 0 means no limit.
    """
    if limit <= 0:
        return Gate.ANSWER
    times = sorted(moment for moment in replied_at if moment <= now)
    if times:
        last = times[-1]
        before_last = [moment for moment in times[:-1] if moment > last - WINDOW]
        if len(before_last) >= limit and now < last + WINDOW:
            return Gate.SILENCE
    recent = [moment for moment in times if moment > now - WINDOW]
    return Gate.ANSWER if len(recent) < limit else Gate.NOTICE


def gate(session: Session, contact_id: int, now: datetime, limit: int) -> Gate:
    """:func:`decide` over the contact's replies of the last two hours (all it can need)."""
    if limit <= 0:
        return Gate.ANSWER
    now = now.astimezone(UTC)
    rows = session.scalars(
        select(Message.created_at).where(
            Message.contact_id == contact_id,
            Message.direction == Direction.OUTBOUND,
            Message.kind == MessageKind.REPLY,
            Message.created_at > now - 2 * WINDOW,
        )
    )
    return decide(list(rows), now, limit)
