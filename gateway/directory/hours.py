"""Opening hours: open now, closing soon, next opening — in the city's timezone, with closures.

Works on plain values (:class:`Hours`) so that the ORM, the search index and the channels all
share one implementation. A weekly range whose closing time is not after its opening time
runs past midnight (a night shelter 19:00–08:00); 00:00–00:00 is open all day.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LOOKAHEAD_DAYS = 15
# The days of the week as iCalendar writes them (RFC 5545 BYDAY), Monday first: index is
# ``WeeklyRange.weekday`` and ``date.weekday()``. HSDS's schedules and HELPLINE_HOURS use them.
WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True, slots=True)
class WeeklyRange:
    weekday: int  # 0 = Monday
    opens_at: time
    closes_at: time

    @property
    def overnight(self) -> bool:
        return self.closes_at <= self.opens_at


@dataclass(frozen=True, slots=True)
class DatedClosure:
    starts_on: date
    ends_on: date
    reason: str = "other"
    message: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    def covers(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


@dataclass(frozen=True)
class Opening:
    """One concrete opening, as local aware datetimes."""

    starts: datetime
    ends: datetime


@dataclass(frozen=True)
class HoursStatus:
    """What a resident needs to hear about "when" at a given moment."""

    open_now: bool
    closes_at: datetime | None
    next_opening: Opening | None
    closure: DatedClosure | None
    today: tuple[Opening, ...]
    has_hours: bool
    # Rank key: 0 when open now, else minutes until the next opening; None when none is known.
    minutes_to_opening: int | None


class Hours:
    """A service's weekly ranges and dated closures, evaluated in one timezone."""

    def __init__(
        self,
        ranges: Iterable[WeeklyRange],
        closures: Iterable[DatedClosure] = (),
        timezone: str = "Europe/Paris",
        closed: bool = False,
    ) -> None:
        self.ranges: tuple[WeeklyRange, ...] = tuple(
            sorted(ranges, key=lambda r: (r.weekday, r.opens_at))
        )
        self.closures: tuple[DatedClosure, ...] = tuple(sorted(closures, key=lambda c: c.starts_on))
        self.tz = ZoneInfo(timezone)
        self.closed = closed

    def closure_on(self, day: date) -> DatedClosure | None:
        for closure in self.closures:
            if closure.covers(day):
                return closure
        return None

    def _openings_starting_on(self, day: date) -> list[Opening]:
        """Openings that start on ``day`` (one may end the next day)."""
        if self.closed or self.closure_on(day) is not None:
            return []
        openings = []
        for weekly in self.ranges:
            if weekly.weekday != day.weekday():
                continue
            starts = datetime.combine(day, weekly.opens_at, self.tz)
            end_day = day + timedelta(days=1) if weekly.overnight else day
            ends = datetime.combine(end_day, weekly.closes_at, self.tz)
            openings.append(Opening(starts, ends))
        return openings

    def openings_between(self, start: date, days: int) -> list[Opening]:
        """Every opening that starts within ``days`` days from ``start``, in order."""
        found: list[Opening] = []
        for offset in range(days):
            found.extend(self._openings_starting_on(start + timedelta(days=offset)))
        return sorted(found, key=lambda o: o.starts)

    def status(self, at: datetime) -> HoursStatus:
        """Where the service stands at ``at`` (any timezone; evaluated in the city's)."""
        local = at.astimezone(self.tz)
        today = local.date()
        # Start yesterday: an overnight range begun yesterday may still be running.
        openings = self.openings_between(today - timedelta(days=1), LOOKAHEAD_DAYS + 1)
        current = next((o for o in openings if o.starts <= local < o.ends), None)
        upcoming = next((o for o in openings if o.starts > local), None)
        todays = tuple(o for o in openings if o.starts.date() == today)
        minutes: int | None = None
        if current is not None:
            minutes = 0
        elif upcoming is not None:
            # Through timestamps: two datetimes of one zone subtract by the wall clock, which
            # is an hour off across a change of clocks.
            minutes = int((upcoming.starts.timestamp() - local.timestamp()) // 60)
        return HoursStatus(
            open_now=current is not None,
            closes_at=None if current is None else self._continuous_end(current, openings),
            next_opening=upcoming,
            closure=self.closure_on(today),
            today=todays,
            has_hours=bool(self.ranges),
            minutes_to_opening=minutes,
        )

    @staticmethod
    def _continuous_end(current: Opening, openings: Sequence[Opening]) -> datetime:
        """When a run of back-to-back openings ends (a 24/7 line never "closes at midnight")."""
        end = current.ends
        for opening in openings:
            if opening.starts <= end < opening.ends and opening.starts >= current.starts:
                end = opening.ends
        return end
