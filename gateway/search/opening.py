"""When services open, worked out from the index's records rather than the database.

Opening times come from :mod:`gateway.directory.hours` and are cached per local day: a
service's openings are worked out once a day, then each query only bisects them.
"""

from __future__ import annotations

import threading
from array import array
from bisect import bisect_right
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from gateway.directory.hours import LOOKAHEAD_DAYS, Hours
from gateway.search.records import ServiceRecord


class OpeningTimes:
    """Openings of each service for the days around one local date, as epoch seconds.

    Mirrors :meth:`Hours.status`: an opening running at ``at`` means open now, else the
    minutes until the next one within the look-ahead.
    """

    def __init__(self, records: tuple[ServiceRecord, ...]) -> None:
        self._records = records
        self._lock = threading.Lock()
        self._day: tuple[str, date] | None = None
        self._openings: dict[int, tuple[array[float], array[float]]] = {}

    def minutes_to_opening(self, position: int, at: datetime, timezone: str) -> int | None:
        starts, ends = self._of(position, at, timezone)
        moment = at.timestamp()
        upto = bisect_right(starts, moment)
        if any(ends[i] > moment for i in range(upto)):
            return 0
        if upto == len(starts):
            return None
        return int((starts[upto] - moment) // 60)

    def _of(self, position: int, at: datetime, timezone: str) -> tuple[array[float], array[float]]:
        day = (timezone, at.astimezone(ZoneInfo(timezone)).date())
        with self._lock:
            if self._day != day:
                self._day, self._openings = day, {}
            found = self._openings.get(position)
        if found is None:
            record = self._records[position]
            hours = Hours(record.ranges, record.closures, timezone, closed=not record.active)
            openings = hours.openings_between(day[1] - timedelta(days=1), LOOKAHEAD_DAYS + 1)
            found = (
                array("d", (o.starts.timestamp() for o in openings)),
                array("d", (o.ends.timestamp() for o in openings)),
            )
            with self._lock:
                if self._day == day:
                    self._openings[position] = found
        return found
