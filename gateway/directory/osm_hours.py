"""data·inclusion's ``horaires_accueil`` (OpenStreetMap opening_hours) as weekly hours.

Parsed by ``opening-hours-py`` (remi-dupre's maintained Rust implementation of the whole
OSM grammar) rather than a parser of our own. The weekly model holds only what repeats
every week: the string is evaluated over a year of weeks, and weekly hours come out only
when every week is the same. Public or school holidays (``PH``, ``SH``: not evaluated
without a country), week numbers, months and dated ranges do not fit; the importer keeps
the original string in every case, and this module says what was not carried over.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import opening_hours
from opening_hours import OpeningHours, State

from gateway.directory.hours import WeeklyRange

# A non-leap year that starts on a Monday, so that its 52 weeks start on day 7 * k.
_FIRST_MONDAY = datetime(2029, 1, 1)
_WEEKS = 52
_HOLIDAYS = re.compile(r"\b(PH|SH)\b")


def weekly_hours(text: str) -> tuple[list[WeeklyRange], str | None]:
    """The weekly ranges ``text`` states, and why they are not all of it (None if they are).

    When the weeks differ (week numbers, months, dates), no weekly range is given: a
    resident would be told wrong hours half of the time.
    """
    try:
        hours = OpeningHours(text)
    except opening_hours.ParserError:  # type: ignore[attr-defined]  # raised; not in its stub
        return [], "not OpenStreetMap opening_hours syntax"
    weeks = {tuple(_week(hours, _FIRST_MONDAY + timedelta(weeks=k))) for k in range(_WEEKS)}
    if len(weeks) > 1:
        return [], "hours that change from week to week"
    ranges = list(weeks.pop())
    if _HOLIDAYS.search(text):
        return ranges, "public or school holidays"
    return ranges, None


def _week(hours: OpeningHours, monday: datetime) -> list[WeeklyRange]:
    """The open ranges of one week, split at midnight (00:00–00:00 is a whole day)."""
    ranges = []
    for start, end, state, _ in hours.intervals(monday, monday + timedelta(days=7)):
        if state != State.OPEN:
            continue
        while start < end:
            midnight = datetime.combine(start.date() + timedelta(days=1), time(0))
            stop = min(end, midnight)
            ranges.append(WeeklyRange(start.weekday(), start.time(), stop.time()))
            start = stop
    return ranges
