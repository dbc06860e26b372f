"""How many messages one number gets: ``SMS_RATE_LIMIT_PER_HOUR``, then one notice, then silence.

One policy for every SMS sent to a number, whatever asked for it: the answers of the SMS
channel and the messages queued for it (a voice hand-off, an alert, a confirmation) count in
the same hour, so a caller pressing ``#`` spends the same allowance as a resident texting.
Counted from the stored outbound rows of the contact (refusals left out), so every web process
agrees without Redis.

A number that has had its messages in the last hour gets one polite notice by SMS; the notice is
the reply that found the hour full, and for an hour after it the number gets no answer at all.
(A notice recognised this way needs no column of its own: it is the newest row, and the hour
before it already held the limit; a queued message is only ever stored when the hour has room,
so it is never mistaken for a notice.) Messages keep being stored and understood meanwhile, so a
STOP or a FORGET still takes effect. A queued message is simply refused unless the gate says
:attr:`Gate.ANSWER`.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from gateway.models import Direction, Message, MessageStatus

WINDOW = timedelta(hours=1)


class Gate(enum.StrEnum):
    ANSWER = "answer"
    NOTICE = "notice"  # the limit is reached: say so once
    SILENCE = "silence"  # the notice was sent less than an hour ago


def decide(sent_at: list[datetime], now: datetime, limit: int) -> Gate:
    """The gate for a message at ``now`` given the times of the number's earlier messages.

    ``limit`` 0 means no limit.
    """
    if limit <= 0:
        return Gate.ANSWER
    times = sorted(moment for moment in sent_at if moment <= now)
    if times:
        last = times[-1]
        before_last = [moment for moment in times[:-1] if moment > last - WINDOW]
        if len(before_last) >= limit and now < last + WINDOW:
            return Gate.SILENCE
    recent = [moment for moment in times if moment > now - WINDOW]
    return Gate.ANSWER if len(recent) < limit else Gate.NOTICE


# What a contact was sent since a moment (refusals left out), built once for every message.
_SENT_SINCE = select(Message.created_at).where(
    Message.contact_id == bindparam("contact_id"),
    Message.direction == Direction.OUTBOUND,
    Message.status != MessageStatus.REFUSED,
    Message.created_at > bindparam("since"),
)


def gate(session: Session, contact_id: int, now: datetime, limit: int) -> Gate:
    """:func:`decide` over what the contact was sent in the last two hours (all it can need)."""
    if limit <= 0:
        return Gate.ANSWER
    now = now.astimezone(UTC)
    rows = session.connection().execute(
        _SENT_SINCE, {"contact_id": contact_id, "since": now - 2 * WINDOW}
    )
    return decide(list(rows.scalars()), now, limit)
