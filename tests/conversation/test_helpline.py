"""The helpline's hours, read at start-up, decide in the core what asking for a person gets:
a keypad is put through while someone answers, and every channel hears when it opens if not."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from flask import Flask

from gateway import create_app
from gateway.config import ConfigError, parse_hours
from gateway.conversation import Action, Expect, Reply, Verb
from gateway.conversation import ReplyKind as K
from gateway.directory.hours import WeeklyRange
from gateway.helpline import helpline_status
from tests.conftest import _rolled_back_app, settings_for
from tests.conversation.conftest import MONDAY_10H, TZ, Phone, shown

SUNDAY_10H = MONDAY_10H - timedelta(days=1)  # the default hours are MO-FR 09:00-17:00
HELPLINE = "+33261910000"
ENGLISH = "+447700900123"  # a British mobile: the menu answers in English


def test_helpline_hours_read_days_ranges_and_lists() -> None:
    ranges = parse_hours("MO-FR 09:00-12:30,13:30-17:00; sa 10:00-12:00; SU,WE 20:00-02:00")
    assert ranges[:2] == (
        WeeklyRange(0, time(9), time(12, 30)),
        WeeklyRange(1, time(9), time(12, 30)),
    )
    assert len([r for r in ranges if r.weekday < 5 and r.opens_at == time(13, 30)]) == 5
    assert WeeklyRange(5, time(10), time(12)) in ranges
    assert {r.weekday for r in ranges if r.overnight} == {6, 2}
    assert parse_hours("SA-MO 09:00-10:00") == tuple(
        WeeklyRange(day, time(9), time(10)) for day in (5, 6, 0)
    )
    assert parse_hours("") == ()


@pytest.mark.parametrize(
    "raw", ["MO-FR", "XX 09:00-10:00", "MO 9h-10h", "MO 09:00-25:00", "MO 09:00"]
)
def test_malformed_helpline_hours_are_refused(raw: str) -> None:
    with pytest.raises(ConfigError, match="HELPLINE_HOURS"):
        parse_hours(raw)


def test_bad_helpline_hours_stop_the_app(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'unused.sqlite3'}"
    with pytest.raises(ConfigError, match="HELPLINE_HOURS: 'weekdays': days are MO, TU"):
        create_app(settings_for(url, HELPLINE_HOURS="weekdays"))


def test_status_says_whether_a_person_answers_and_when_one_will(plain_app: Flask) -> None:
    staffed = helpline_status(MONDAY_10H)
    assert staffed.open_now and staffed.closes_at == datetime(2026, 11, 30, 17, 0, tzinfo=TZ)
    closed = helpline_status(SUNDAY_10H)
    assert not closed.open_now and closed.next_opening is not None
    assert closed.next_opening.starts == datetime(2026, 11, 30, 9, 0, tzinfo=TZ)


def _ask_for_a_person(phone: Phone) -> Reply:
    """Key 0 on the main menu's first page, after choosing English (voice); the helpline's
    action otherwise: a text channel has no key for it, a link may still ask."""
    if phone.channel == "voice":
        phone.press("")
        phone.press("2")
        return phone.press("0")
    return phone.send(action=Action(Verb.HELPLINE))


def test_a_caller_is_put_through_while_someone_answers(app: Flask) -> None:
    reply = _ask_for_a_person(Phone(ENGLISH, channel="voice"))
    assert reply.kind is K.TRANSFER and reply.hints.transfer_to == HELPLINE
    assert reply.title is not None
    assert reply.title.text == "Putting you through to the city helpline."
    assert reply.expect is Expect.NOTHING


def test_a_caller_hears_when_it_opens_while_nobody_answers(app: Flask) -> None:
    reply = _ask_for_a_person(Phone(ENGLISH, channel="voice", now=SUNDAY_10H))
    assert reply.kind is K.HELPLINE_CLOSED and reply.hints.transfer_to is None
    assert reply.hints.opens_at == datetime(2026, 11, 30, 9, 0, tzinfo=TZ)
    lines = shown(reply).replace("\u202f", " ").splitlines()
    assert lines[:2] == ["The helpline is closed now.", "Opens tomorrow at 9:00 AM"]
    assert reply.expect is Expect.DIGITS  # the call goes on, at the main menu


@pytest.mark.parametrize("channel", ["sms", "web"])
def test_text_channels_get_the_number_and_its_hours(app: Flask, channel: str) -> None:
    number = ENGLISH if channel == "sms" else None
    staffed = _ask_for_a_person(Phone(number, channel=channel, locale_hint="en"))
    assert staffed.kind is K.TRANSFER and staffed.hints.helpline == HELPLINE
    assert shown(staffed).replace("\u202f", " ").splitlines()[:3] == [
        f"City helpline: {HELPLINE}",
        "Open now until 5:00 PM",
        "Monday–Friday: 9:00 AM–5:00 PM",
    ]
    assert "Putting you through" not in shown(staffed)
    assert [control.action for control in staffed.controls] == [Action(Verb.MENU)]

    closed = _ask_for_a_person(Phone(number, channel=channel, locale_hint="en", now=SUNDAY_10H))
    assert closed.kind is K.HELPLINE_CLOSED
    assert shown(closed).replace("\u202f", " ").splitlines()[:4] == [
        "The helpline is closed now.",
        "Opens tomorrow at 9:00 AM",
        f"City helpline: {HELPLINE}",
        "Monday–Friday: 9:00 AM–5:00 PM",
    ]
    assert closed.expect is Expect.TEXT and closed.controls


def test_french_hours_in_a_french_reply(app: Flask) -> None:
    reply = Phone("+33612345678", now=SUNDAY_10H).send(action=Action(Verb.HELPLINE))
    assert reply.locale == "fr"
    assert shown(reply).splitlines()[:2] == [
        "La ligne d’aide est fermée en ce moment.",
        "Ouvre demain à 09:00",
    ]


@pytest.fixture
def never_staffed(empty_database_url: str) -> Iterator[Flask]:
    yield from _rolled_back_app(empty_database_url, HELPLINE_HOURS="")


def test_a_helpline_without_hours_is_never_put_through(never_staffed: Flask) -> None:
    for channel in ("voice", "sms"):
        reply = _ask_for_a_person(Phone(ENGLISH, channel=channel))
        assert reply.kind is K.HELPLINE_CLOSED and reply.hints.opens_at is None
        assert "Hours not listed" in shown(reply)
