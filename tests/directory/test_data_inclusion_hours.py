"""horaires_accueil (OSM opening_hours) to weekly hours, and what does not fit said so."""

from __future__ import annotations

from datetime import time

import pytest

from gateway.directory.hours import WeeklyRange
from gateway.directory.osm_hours import weekly_hours


def test_weekdays_with_a_lunch_break() -> None:
    ranges, lost = weekly_hours("Mo-Fr 09:00-12:00,14:00-17:30; Sa 10:00-12:00")
    assert lost is None
    assert WeeklyRange(0, time(9), time(12)) in ranges
    assert WeeklyRange(4, time(14), time(17, 30)) in ranges
    assert WeeklyRange(5, time(10), time(12)) in ranges
    assert len(ranges) == 11


def test_overnight_is_split_at_midnight() -> None:
    ranges, lost = weekly_hours("Mo 19:00-08:00")
    assert lost is None
    assert ranges == [WeeklyRange(0, time(19), time(0)), WeeklyRange(1, time(0), time(8))]


def test_always_open() -> None:
    ranges, _ = weekly_hours("24/7")
    assert ranges == [WeeklyRange(day, time(0), time(0)) for day in range(7)]


def test_public_holidays_keep_the_week_and_say_so() -> None:
    ranges, lost = weekly_hours("Tu,Th 09:00-12:00; PH off")
    assert ranges == [WeeklyRange(1, time(9), time(12)), WeeklyRange(3, time(9), time(12))]
    assert lost == "public or school holidays"


@pytest.mark.parametrize(
    "text",
    [
        "week 1-53/2 Sa 10:00-12:00",
        "Jan-Jun Mo 09:00-12:00",
        "2029 Mar 01-2029 Mar 15 Mo 09:00-12:00",
    ],
)
def test_hours_that_change_across_weeks_give_no_weekly_hours(text: str) -> None:
    assert weekly_hours(text) == ([], "hours that change from week to week")


def test_not_opening_hours() -> None:
    assert weekly_hours("le mardi matin") == ([], "not OpenStreetMap opening_hours syntax")
