"""The city's helpline: when a person answers it, read from ``HELPLINE_HOURS`` once.

The setting is a plain string ("MO-FR 09:00-12:30,13:30-17:00; SA 09:00-12:00"); a typo in it
must stop the app from starting, not put callers through to a line nobody answers, so
:func:`init_app` parses it in the factory and :func:`parse_hours` raises
:class:`~gateway.config.ConfigError` naming the setting. Every channel then asks
:func:`helpline_status`, so the voice menu's "put through" and a text's "opens at" agree.
"""

from __future__ import annotations

import re
from datetime import datetime, time

from flask import Flask, current_app

from gateway.config import ConfigError
from gateway.directory.hours import WEEKDAY_CODES, Hours, HoursStatus, WeeklyRange

_EXTENSION_KEY = "guichet.helpline"
_CLOCK = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


def parse_hours(raw: str) -> tuple[WeeklyRange, ...]:
    """ "MO-FR 09:00-12:30,13:30-17:00; SA 09:00-12:00" → weekly ranges (Monday is 0).

    Days are two-letter English abbreviations, alone, as a range ("MO-FR") or listed
    ("MO,WE"); an empty string means the helpline is never staffed.
    """
    ranges: list[WeeklyRange] = []
    for entry in filter(None, (chunk.strip() for chunk in raw.split(";"))):
        days_text, _, times_text = entry.partition(" ")
        days = _parse_days(days_text, entry)
        for span in filter(None, (chunk.strip() for chunk in times_text.split(","))):
            opens, _, closes = span.partition("-")
            start, end = _parse_clock(opens, entry), _parse_clock(closes, entry)
            ranges.extend(WeeklyRange(day, start, end) for day in days)
        if not times_text.strip():
            raise ConfigError(f"HELPLINE_HOURS: {entry!r} has no times, e.g. MO-FR 09:00-17:00")
    return tuple(ranges)


def _parse_days(text: str, entry: str) -> list[int]:
    days: list[int] = []
    for part in text.upper().split(","):
        first, _, last = part.partition("-")
        if first not in WEEKDAY_CODES or (last and last not in WEEKDAY_CODES):
            raise ConfigError(f"HELPLINE_HOURS: {entry!r}: days are {', '.join(WEEKDAY_CODES)}")
        start, end = WEEKDAY_CODES.index(first), WEEKDAY_CODES.index(last or first)
        days.extend(range(start, end + 1) if start <= end else [*range(start, 7), *range(end + 1)])
    return days


def _parse_clock(text: str, entry: str) -> time:
    match = _CLOCK.fullmatch(text.strip())
    if match is None:
        raise ConfigError(f"HELPLINE_HOURS: {entry!r}: times are HH:MM-HH:MM")
    return time(int(match[1]), int(match[2]))


def init_app(app: Flask) -> None:
    """Parse ``HELPLINE_HOURS`` now (a bad value stops the start) and keep them for requests."""
    ranges = parse_hours(app.config["HELPLINE_HOURS"] or "")
    app.extensions[_EXTENSION_KEY] = Hours(ranges, timezone=app.config["TIMEZONE"])


def helpline_hours() -> Hours:
    """The helpline's week (``ranges``), in the city's timezone."""
    return current_app.extensions[_EXTENSION_KEY]  # type: ignore[no-any-return]


def helpline_status(at: datetime) -> HoursStatus:
    """Whether a person answers the helpline at ``at`` (``open_now``) and, if not, when one
    next does (``next_opening``; None when its hours name no day in the coming fortnight)."""
    return helpline_hours().status(at)
