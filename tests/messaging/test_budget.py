"""The city's daily SMS budget: one counter row per day, exact under concurrent requests."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask

from gateway import create_app
from gateway.db import db
from gateway.messaging import budget
from gateway.models import DailySegments, Direction, Message, MessageKind, MessageStatus
from tests.conftest import fresh_database_url, settings_for

NOON = datetime(2026, 12, 3, 11, 0, tzinfo=UTC)  # 12:00 in Paris


def outbound(segments: int, at: datetime, **fields: Any) -> Message:
    values: dict[str, Any] = {
        "direction": Direction.OUTBOUND,
        "kind": MessageKind.REPLY,
        "status": MessageStatus.ANSWERED,
        "segments": segments,
        "created_at": at,
    }
    return Message(**(values | fields))


def test_segments_are_taken_until_the_cap(app: Flask, session, change_settings) -> None:
    change_settings(app, daily_segment_cap=10)
    assert budget.take(session, 6, NOON)
    assert budget.take(session, 4, NOON)
    assert not budget.take(session, 1, NOON)
    assert budget.segments_today(session, NOON) == 10


def test_queued_messages_fit_in_their_share_answers_in_the_whole(
    app: Flask, session, change_settings
) -> None:
    change_settings(app, daily_segment_cap=20)  # QUEUED_SEGMENT_SHARE 0.25: 5 for queued messages
    assert budget.take(session, 5, NOON, queued=True)
    assert not budget.take(session, 1, NOON, queued=True)
    assert budget.take(session, 15, NOON)
    assert budget.segments_today(session, NOON) == 20


def test_a_day_starts_from_the_messages_already_stored_that_day(
    app: Flask, session, change_settings
) -> None:
    """As after an upgrade in the middle of a day: what was sent before the counter counts."""
    change_settings(app, daily_segment_cap=20)
    session.add_all(
        [
            outbound(7, NOON - timedelta(hours=2)),
            outbound(3, NOON - timedelta(hours=1), kind=MessageKind.ALERT),
            outbound(9, NOON - timedelta(days=1)),  # yesterday
            outbound(9, NOON, status=MessageStatus.REFUSED),  # never sent
            Message(
                direction=Direction.INBOUND,
                kind=MessageKind.MESSAGE,
                segments=9,
                status=MessageStatus.RECEIVED,
                created_at=NOON,
            ),
        ]
    )
    session.flush()
    assert budget.segments_today(session, NOON) == 10
    # The alert took 3 of the 5 the queued messages may use.
    assert not budget.take(session, 3, NOON, queued=True)
    assert budget.take(session, 2, NOON, queued=True)
    # Seeded once: rows stored later by other means are not counted twice or at all.
    session.add(outbound(5, NOON))
    session.flush()
    assert budget.segments_today(session, NOON) == 12


def test_the_day_is_the_citys(app: Flask, session, change_settings) -> None:
    """At 23:30 UTC it is already tomorrow in Paris: a fresh budget."""
    change_settings(app, daily_segment_cap=4)
    evening = datetime(2026, 12, 3, 22, 30, tzinfo=UTC)  # 23:30 in Paris
    late = datetime(2026, 12, 3, 23, 30, tzinfo=UTC)  # 00:30 on the 4th in Paris
    assert budget.take(session, 4, evening)
    assert not budget.take(session, 1, evening)
    assert budget.take(session, 4, late)
    days = session.query(DailySegments.day).order_by(DailySegments.day).all()
    assert [str(day) for (day,) in days] == ["2026-12-03", "2026-12-04"]


def test_a_rollback_gives_the_segments_back(app: Flask, session, change_settings) -> None:
    change_settings(app, daily_segment_cap=4)
    nested = session.begin_nested()
    assert budget.take(session, 4, NOON)
    nested.rollback()
    assert budget.take(session, 4, NOON)


def test_two_processes_cannot_both_take_the_last_segments(backend: str, tmp_path: Path) -> None:
    url = fresh_database_url(backend, "budget_race", tmp_path)
    app = create_app(settings_for(url, DAILY_SEGMENT_CAP=5))
    start = threading.Barrier(8)
    taken: list[bool] = []

    def request() -> None:
        with app.app_context():
            start.wait()
            taken.append(budget.take(db.session, 1, NOON))
            db.session.commit()

    threads = [threading.Thread(target=request) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    with app.app_context():
        total = budget.segments_today(db.session, NOON)
    with app.app_context():  # the session above is closed now, its connection back in the pool
        db.engine.dispose()
    assert sorted(taken) == [False] * 3 + [True] * 5
    assert total == 5
