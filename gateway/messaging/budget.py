"""The city's daily SMS budget: ``DAILY_SEGMENT_CAP`` segments a day (on the city's clock), of
which queued messages may use the ``QUEUED_SEGMENT_SHARE``; answers may use all of it.

The budget is a counter row per day (:class:`~gateway.models.DailySegments`), not a sum over
the day's outbound messages: the sum was read on every message, a growing share of a webhook
as the day filled up. Taking segments is one ``UPDATE … WHERE total + n <= cap RETURNING``,
so two requests at once cannot both take the last segments (PostgreSQL makes the second wait
for the first's commit on the row; SQLite has one writer at a time). Since the row stays
locked until the caller commits, callers take their segments last, just before committing,
and after the contact's turn (:func:`gateway.contacts.take_turn`), always in that order.

A day's row is seeded once, on its first use, from the messages already stored that day, so
an upgrade in the middle of a day, or rows stored by other means, still count. Segments go back
to the budget when a queued message is refused before it leaves (a STOP arrived meanwhile, a
permanent refusal by the provider): never sent, it cost nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Date, bindparam, case, func, literal, select, update
from sqlalchemy.orm import Session

from gateway.config import settings
from gateway.db import insert_for
from gateway.models import DailySegments, Direction, Message, MessageStatus
from gateway.models.messages import QUEUED_KINDS


def city_day(moment: datetime) -> date:
    """The date of ``moment`` on the city's clock (``TIMEZONE``)."""
    return moment.astimezone(ZoneInfo(settings().timezone)).date()


def start_of_day(day: date) -> datetime:
    """Midnight of ``day`` on the city's clock, in UTC."""
    city = ZoneInfo(settings().timezone)
    return datetime(day.year, day.month, day.day, tzinfo=city).astimezone(UTC)


# Taking segments, built once (a statement built per message cost more than its round trip):
# ``n`` segments from ``city_day``'s row if the total stays within ``cap`` and, for a queued
# message, the queued part within ``share``.
_TAKE = (
    update(DailySegments)
    .where(
        DailySegments.day == bindparam("city_day"),
        DailySegments.total + bindparam("n") <= bindparam("cap"),
    )
    .values(total=DailySegments.total + bindparam("n"))
    .returning(DailySegments.total)
)
_TAKE_QUEUED = _TAKE.where(DailySegments.queued + bindparam("n") <= bindparam("share")).values(
    queued=DailySegments.queued + bindparam("n")
)
_DAY_ROW = select(DailySegments.day).where(DailySegments.day == bindparam("city_day"))


def take(session: Session, segments: int, now: datetime, *, queued: bool = False) -> bool:
    """Take ``segments`` from today's budget if they fit; whether they did.

    A ``queued`` message must also fit in the queued share. The segments are counted in the
    caller's transaction: a rollback gives them back.
    """
    connection = session.connection()
    cap = settings().daily_segment_cap
    day = city_day(now)
    params: dict[str, object] = {"city_day": day, "n": segments, "cap": cap}
    statement = _TAKE
    if queued:
        statement = _TAKE_QUEUED
        params["share"] = int(cap * settings().queued_segment_share)
    if connection.execute(statement, params).first() is not None:
        return True
    if connection.execute(_DAY_ROW, params).first() is not None:
        return False  # the day's row is there: over the cap
    _seed(session, day)
    return connection.execute(statement, params).first() is not None


def give_back(session: Session, message: Message) -> None:
    """Return the segments of ``message``, refused before it left, to its day's budget."""
    if not message.segments:
        return
    queued = message.segments if message.kind in QUEUED_KINDS else 0
    session.execute(
        update(DailySegments)
        .where(DailySegments.day == city_day(message.created_at))
        .values(total=DailySegments.total - message.segments, queued=DailySegments.queued - queued)
        .execution_options(synchronize_session=False)
    )


def segments_today(session: Session, now: datetime) -> int:
    """Segments taken today by every outbound message, answers included, refusals not."""
    day = city_day(now)
    _seed(session, day)
    return int(session.scalar(select(DailySegments.total).where(DailySegments.day == day)) or 0)


def _seed(session: Session, day: date) -> None:
    """Create ``day``'s row from the messages stored that day, unless it exists."""
    queued = case((Message.kind.in_(QUEUED_KINDS), Message.segments), else_=0)
    stored = select(
        literal(day, Date),
        func.coalesce(func.sum(Message.segments), 0),
        func.coalesce(func.sum(queued), 0),
    ).where(
        Message.direction == Direction.OUTBOUND,
        Message.status != MessageStatus.REFUSED,
        Message.created_at >= start_of_day(day),
        Message.created_at < start_of_day(day + timedelta(days=1)),
    )
    session.execute(
        insert_for(session, DailySegments)
        .from_select(["day", "total", "queued"], stored)
        .on_conflict_do_nothing(index_elements=["day"])
    )
