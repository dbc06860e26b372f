"""Thirty answers an hour per number, one notice, then silence; a daily cap for the city."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask

from gateway.config import settings
from gateway.db import db
from gateway.messaging.budget import segments_today, take
from gateway.messaging.limits import WINDOW, Gate, decide
from gateway.models import MessageStatus
from tests.conftest import translated
from tests.sms.conftest import Texter, in_sms, inbound_messages, replies

# Both databases: the hourly limit and the daily cap are sums each computes its own way.
pytestmark = pytest.mark.backends("sqlite", "postgresql")

NUMBER = "+33612345678"
T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


BUSY = "You have sent us many messages this hour. We will answer again from %(time)s."


def minutes(*offsets: int) -> list[datetime]:
    return [T0 + timedelta(minutes=offset) for offset in offsets]


@pytest.mark.parametrize(
    ("replied", "at", "limit", "gate"),
    [
        pytest.param([], 0, 3, Gate.ANSWER, id="first"),
        pytest.param(minutes(0, 1), 2, 3, Gate.ANSWER, id="under"),
        pytest.param(minutes(0, 1, 2), 3, 3, Gate.NOTICE, id="full"),
        pytest.param(minutes(0, 1, 2, 3), 4, 3, Gate.SILENCE, id="after-the-notice"),
        pytest.param(minutes(0, 1, 2, 3), 62, 3, Gate.SILENCE, id="answers-age-out-not-the-notice"),
        pytest.param(minutes(0, 1, 2, 3), 63, 3, Gate.ANSWER, id="an-hour-after-the-notice"),
        pytest.param(minutes(0, 1, 2), 60, 3, Gate.ANSWER, id="first-answer-aged-out"),
        pytest.param(minutes(0, 50, 55), 61, 3, Gate.ANSWER, id="sliding-window"),
        pytest.param(minutes(10, 50, 55), 61, 3, Gate.NOTICE, id="sliding-window-full"),
        pytest.param(minutes(*range(40)), 41, 0, Gate.ANSWER, id="no-limit"),
    ],
)
def test_the_gate(replied: list[datetime], at: int, limit: int, gate: Gate) -> None:
    assert decide(replied, T0 + timedelta(minutes=at), limit) is gate


def test_the_31st_message_gets_the_notice_the_32nd_silence_until_the_hour_passes(
    texter, sms_app: Flask
) -> None:
    assert settings(sms_app).sms_rate_limit_per_hour == 30
    resident: Texter = texter(NUMBER)
    for _ in range(30):
        assert resident.send("MENU").text is not None
    notice = resident.send("MENU").text  # 10:31
    assert notice == in_sms(translated(BUSY, time="11:31"))
    assert resident.send("MENU").text is None
    assert resident.send("ou manger", wait=timedelta(minutes=50)).text is None  # 11:22
    assert len(replies()) == 31 and len(inbound_messages()) == 33, "every message is kept"

    back = resident.send("ou manger", wait=WINDOW - timedelta(minutes=51))  # 11:31
    assert back.text is not None and back.text.startswith("Alimentation")


def test_stop_takes_effect_during_the_silence(texter, sms_app: Flask, change_settings) -> None:
    change_settings(sms_app, sms_rate_limit_per_hour=2)
    resident: Texter = texter(NUMBER)
    answers = [resident.send("MENU").text for _ in range(4)]
    assert [answer is not None for answer in answers] == [True, True, True, False]
    assert resident.send("STOP").text is None
    assert resident.contact().opted_out_at is not None


def test_the_limit_is_per_number(texter, sms_app: Flask, change_settings) -> None:
    change_settings(sms_app, sms_rate_limit_per_hour=1)
    first, second = texter("+33612345678"), texter("+33698765432")
    assert first.send("MENU").text is not None
    assert first.send("MENU").text.startswith(in_sms(translated(BUSY, time="")).rstrip("."))
    assert second.send("MENU").text is not None


def test_over_the_daily_cap_nothing_is_answered_but_the_message_is_kept(
    texter, sms_app: Flask, change_settings
) -> None:
    resident: Texter = texter(NUMBER)
    first = resident.send("ou manger ce soir")
    [reply] = replies()
    change_settings(sms_app, daily_segment_cap=reply.segments + 1)
    assert first.text is not None
    assert resident.send("AIDE").text is None, "the menu takes more than the one segment left"
    assert len(replies()) == 1 and len(inbound_messages()) == 2
    assert inbound_messages()[-1].status is MessageStatus.RECEIVED
    # Replies count in the budget that queued messages (alerts, voice handoffs) share.
    assert segments_today(db.session, resident.clock.now) == reply.segments
    assert not take(db.session, 2, resident.clock.now)
