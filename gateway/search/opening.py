"""When services open, worked out from the index's records rather than the database.

The openings come from :mod:`gateway.directory.hours` itself; what this adds is speed for
many services at once. Most services share their hours with many others (9:00–17:00 on
weekdays…), so openings are worked out per distinct schedule, not per service, and only
once per local day; a query then bisects each distinct schedule it meets once.
"""

from __future__ import annotations

import threading
from array import array
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from copy import copy
from datetime import date, datetime, timedelta
from itertools import accumulate
from zoneinfo import ZoneInfo

from gateway.directory.hours import LOOKAHEAD_DAYS, DatedClosure, Hours, WeeklyRange
from gateway.search.records import ServiceRecord

Schedule = tuple[tuple[WeeklyRange, ...], tuple[DatedClosure, ...]]


class OpeningTimes:
    """Minutes until services open, as :meth:`Hours.status` sees them.

    Waits are elapsed minutes (a wait across a change of clocks is not an hour off).
    """

    def __init__(self, records: Sequence[ServiceRecord]) -> None:
        self._ids: dict[Schedule, int] = {}
        self._schedule_of = array("I")
        self._schedules: list[Schedule] = []
        for record in records:
            self._schedule_of.append(self._id_of(record))
        self._lock = threading.Lock()
        self._day: tuple[str, date] | None = None
        # Per schedule, its openings' starts and, for each, the latest end so far (epoch
        # seconds): open at t when the latest end among openings started by t is after t.
        self._openings: list[tuple[array[int], array[int]] | None] = []

    def _id_of(self, record: ServiceRecord) -> int:
        schedule: Schedule = (record.ranges, record.closures) if record.active else ((), ())
        known = self._ids.setdefault(schedule, len(self._ids))
        if known == len(self._schedules):
            self._schedules.append(schedule)
        return known

    def following(self, changed: Mapping[int, ServiceRecord]) -> OpeningTimes:
        """These openings with the services at the ``changed`` positions (one past the
        last: a new one) as their records say; this object is left as it is.

        The two share their schedules, and the day's openings worked out for them: a
        schedule keeps its number for good (schedules are few, one no service has any
        more is kept), so what one has worked out holds for the other.
        """
        new = copy(self)
        new._schedule_of = array("I", self._schedule_of)
        with self._lock:
            for position in sorted(changed):
                schedule = new._id_of(changed[position])
                if position < len(new._schedule_of):
                    new._schedule_of[position] = schedule
                else:
                    new._schedule_of.append(schedule)
        return new

    def minutes(self, positions: Sequence[int], at: datetime, timezone: str) -> list[int | None]:
        """For each service: 0 when open at ``at``, else minutes until it opens; None when
        it does not open within the look-ahead (or has no hours)."""
        zone = ZoneInfo(timezone)
        day = (timezone, at.astimezone(zone).date())
        with self._lock:
            if self._day != day:
                self._day = day
                self._openings = []
            cache = self._openings
            # Schedules an edit brought since the cache was started.
            cache.extend([None] * (len(self._schedules) - len(cache)))
        moment = at.timestamp()
        schedules = [self._schedule_of[position] for position in positions]
        waits: dict[int, int | None] = {}
        for schedule in set(schedules):
            openings = cache[schedule]
            if openings is None:
                openings = cache[schedule] = _openings(self._schedules[schedule], day[1], timezone)
            starts, latest_ends = openings
            after = bisect_right(starts, moment)
            if after and latest_ends[after - 1] > moment:
                waits[schedule] = 0
            elif after < len(starts):
                waits[schedule] = int((starts[after] - moment) // 60)
            else:
                waits[schedule] = None
        return [waits[schedule] for schedule in schedules]


def _openings(schedule: Schedule, today: date, timezone: str) -> tuple[array[int], array[int]]:
    ranges, closures = schedule
    # The same openings Hours.status looks at: from the day before (an overnight opening
    # begun yesterday may still run) to the end of the look-ahead.
    hours = Hours(ranges, closures, timezone=timezone)
    openings = hours.openings_between(today - timedelta(days=1), LOOKAHEAD_DAYS + 1)
    pairs = [(int(o.starts.timestamp()), int(o.ends.timestamp())) for o in openings]
    return (
        array("q", (start for start, _end in pairs)),
        array("q", accumulate((end for _start, end in pairs), max)),
    )
