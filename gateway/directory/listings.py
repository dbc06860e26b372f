"""Lists of places as every channel shows them, worked out from the directory's snapshot.

A category is listed the same way on SMS, voice and the web: open now / opening soonest
first, then nearest, then by name (:func:`ranked_ids`); the lite site also names the
districts, and prints sheets by category, by district, and by both
(:func:`sheet_ids`). At a city's real size a category holds thousands of places: building a
card for each to sort them, as the pages did, cost hundreds of milliseconds a request. So
what does not change with the clock is worked out once per snapshot
(:meth:`~gateway.directory.queries.DirectorySnapshot.derived`, which also keeps the
previous value answering while a new snapshot's is built): the districts, each
category's places by name in each locale, each place's schedule among the few distinct
ones. A request then works out, per distinct schedule, how long until it opens (the search
index's :class:`~gateway.search.opening.OpeningTimes`, so both rank by the same clock),
sorts plain numbers, and builds the cards of the one page it shows.
"""

from __future__ import annotations

import threading
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from gateway.directory.queries import Area, DirectorySnapshot, ServiceFacts, distance_km
from gateway.i18n import ORIGINAL_LOCALE
from gateway.models import CATEGORY_SLUGS, ServiceStatus
from gateway.search.opening import OpeningTimes
from gateway.search.records import service_record

T = TypeVar("T")
# Waits, in minutes, for a service that does not open within the look-ahead, and for one
# temporarily closed (after any that may open).
_NEVER = 10**7
_CLOSED = 2 * _NEVER


@dataclass(frozen=True)
class DistrictPlaces:
    """A district as the directory spells it, with the postcodes of its listed places."""

    name: str
    postcodes: tuple[str, ...]


class Listings:
    """What the lists of one snapshot are made of (read-only once built, but for the
    per-locale orders it keeps as they are first asked for)."""

    def __init__(self, directory: DirectorySnapshot) -> None:
        self.services = directory.services  # what these were built from (see ranked_ids)
        schedules: dict[tuple[object, ...], int] = {}
        representatives: list[ServiceFacts] = []
        self._schedule: dict[str, int] = {}
        self._closed: list[bool] = []
        self._by_category: dict[str, list[str]] = {slug: [] for slug in CATEGORY_SLUGS}
        self._by_district: dict[str, set[str]] = {}  # casefolded name -> ids
        self._by_postcode: dict[str, set[str]] = {}
        postcodes: dict[str, set[str]] = {}  # district as spelt -> postcodes
        for facts in directory.services.values():
            active = facts.status is ServiceStatus.ACTIVE
            key = (facts.ranges, facts.closures, active)
            if key not in schedules:
                schedules[key] = len(representatives)
                representatives.append(facts)
                self._closed.append(not active)
            self._schedule[facts.id] = schedules[key]
            for slug in facts.categories:
                self._by_category.setdefault(slug, []).append(facts.id)
            for place in facts.places:
                if place.district:
                    self._by_district.setdefault(place.district.casefold(), set()).add(facts.id)
                    found = postcodes.setdefault(place.district, set())
                    found.update([place.postcode] if place.postcode else [])
                if place.postcode:
                    self._by_postcode.setdefault(place.postcode, set()).add(facts.id)
        self._openings = OpeningTimes([service_record(facts) for facts in representatives])
        self.districts: tuple[DistrictPlaces, ...] = tuple(
            DistrictPlaces(name, tuple(sorted(codes))) for name, codes in postcodes.items()
        )
        self._kept: dict[tuple[object, ...], Any] = {}
        self._lock = threading.Lock()

    def kept(self, key: tuple[object, ...], work_out: Callable[[], T]) -> T:
        """``work_out()``, kept under ``key`` with these listings: for what does not change
        with the clock, asked for again by every page (two requests may both work it out
        the first time; either answer is the same)."""
        try:
            return self._kept[key]  # type: ignore[no-any-return]
        except KeyError:
            value = work_out()
            with self._lock:
                return self._kept.setdefault(key, value)  # type: ignore[no-any-return]

    def named(self, category: str, locale: str) -> tuple[str, ...]:
        """The category's places by name in ``locale`` (as a card shows it), then id.

        Where that is the French order (names not translated fall back to French, so most
        are), it is the French order's very tuple: a copy per locale would hold the same."""
        services = self.services

        def in_order() -> tuple[str, ...]:
            ordered = tuple(
                sorted(
                    self._by_category.get(category, ()),
                    key=lambda id: (services[id].text("name", locale).text.casefold(), id),
                )
            )
            if locale != ORIGINAL_LOCALE:
                original = self.named(category, ORIGINAL_LOCALE)
                if ordered == original:
                    return original
            return ordered

        return self.kept(("named", category, locale), in_order)

    def inside(self, area: Area) -> set[str]:
        """The places with a location in ``area`` (its postcode, or its district)."""
        found = set(self._by_postcode.get(area.postcode or "", ()))
        if area.district:
            found |= self._by_district.get(area.district.casefold(), set())
        return found

    def by_schedule(self, category: str, locale: str) -> tuple[tuple[int, array[int]], ...]:
        """The category's places (as positions in :meth:`named`) grouped by schedule,
        each group in name order: places of one schedule open at the same moment. The
        positions are C ints (4 bytes each, not a 36-byte Python int in a list): kept for
        every category in every locale, they are most of a large directory's listings."""

        def group() -> tuple[tuple[int, array[int]], ...]:
            named = self.named(category, locale)
            if locale != ORIGINAL_LOCALE and named is self.named(category, ORIGINAL_LOCALE):
                return self.by_schedule(category, ORIGINAL_LOCALE)
            groups: dict[int, array[int]] = {}
            for position, id in enumerate(named):
                groups.setdefault(self._schedule[id], array("i")).append(position)
            return tuple(groups.items())

        return self.kept(("by schedule", category, locale), group)

    def waits(self, schedules: Sequence[int], at: datetime, timezone: str) -> list[int]:
        """For each schedule, the minutes until it opens (0: open now) as a sort key: one
        that does not open in the look-ahead after those that do, a closed one last."""
        minutes = self._openings.minutes(schedules, at, timezone)
        return [
            _CLOSED if self._closed[schedule] else _NEVER if wait is None else wait
            for schedule, wait in zip(schedules, minutes, strict=True)
        ]

    def first_place_key(self, id: str) -> tuple[bool, str]:
        """Where a sheet puts a place: those with an address first, by district."""
        places = self.services[id].places
        return (not places, places[0].district if places else "")


def listings(directory: DirectorySnapshot) -> Listings:
    """The snapshot's :class:`Listings`, built once (the previous one answers meanwhile)."""
    return directory.derived(Listings)


def _still_listed(directory: DirectorySnapshot, found: Listings, ids: Iterable[str]) -> list[str]:
    """``ids`` without the services the snapshot no longer lists (listings built from an
    older snapshot answer while the snapshot's own are built, and may name some)."""
    if found.services is directory.services:
        return list(ids)
    services = directory.services
    return [id for id in ids if id in services]


def ranked_ids(
    directory: DirectorySnapshot,
    category: str,
    locale: str,
    at: datetime,
    timezone: str,
    area: Area | None = None,
    *,
    nearest_first: int = 0,
) -> list[str]:
    """A category's places in the order every channel lists them.

    With an ``area``, its places come first; among places that open as soon, the nearest
    first, for the first ``nearest_first`` places at least (distances are worked out only
    for the groups of equal waits that reach that far; further on, by name, as the pages
    that show them ask again). The work is per distinct schedule and in sorts of plain
    numbers: a category of ten thousand places is ordered in a few milliseconds.
    """
    found = listings(directory)
    named = found.named(category, locale)
    groups = found.by_schedule(category, locale)
    waits = found.waits([schedule for schedule, _positions in groups], at, timezone)
    inside = found.inside(area) if area is not None else set()
    runs: dict[tuple[bool, int], list[int]] = {}
    for wait, (_schedule, positions) in zip(waits, groups, strict=True):
        if inside:
            for there in (True, False):
                run = [p for p in positions if (named[p] in inside) is there]
                if run:
                    runs.setdefault((not there, wait), []).extend(run)
        else:
            runs.setdefault((False, wait), []).extend(positions)
    ordered = [sorted(runs[key]) for key in sorted(runs)]  # by name within a run
    if area is not None and area.latitude is not None and area.longitude is not None:
        _nearest_first(found, named, ordered, area, nearest_first)
    return _still_listed(directory, found, (named[p] for run in ordered for p in run))


def _nearest_first(
    found: Listings, named: Sequence[str], runs: list[list[int]], area: Area, count: int
) -> None:
    """Sort the runs (places that open as soon) that reach the first ``count`` places by
    distance from the area's centre (a place without coordinates after those with)."""
    reached = 0
    for run in runs:
        if reached >= max(count, 1):
            return
        run.sort(key=lambda p: _distance(found.services[named[p]], area))
        reached += len(run)


def _distance(facts: ServiceFacts, area: Area) -> float:
    """The distance a card shows: to the service's place in the area, else its first."""
    places = facts.places
    place = next((p for p in places if area.contains(p)), places[0] if places else None)
    if place is None or place.latitude is None or place.longitude is None:
        return float("inf")
    assert area.latitude is not None and area.longitude is not None
    return distance_km(area.latitude, area.longitude, place.latitude, place.longitude)


def sheet_ids(
    directory: DirectorySnapshot,
    locale: str,
    *,
    category: str | None = None,
    district: str | None = None,
) -> list[tuple[str, list[str]]]:
    """The places of a printable sheet, grouped under their headings' category slugs.

    A category's sheet is one group, by district then name (paper is read on the spot, not
    at an hour); a district's groups each place under its first category, in the
    taxonomy's order; a district's sheet of one category is that category's places there.
    Nothing in a sheet depends on the clock: each is worked out once per snapshot.
    """
    found = listings(directory)
    groups = found.kept(
        ("sheet", locale, category, district),
        lambda: _sheet_groups(found, locale, category, district),
    )
    return [(slug, kept) for slug, ids in groups if (kept := _still_listed(directory, found, ids))]


def _sheet_groups(
    found: Listings, locale: str, category: str | None, district: str | None
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    inside = found.inside(Area(None, district, None, None)) if district else None
    if category is not None:
        ids = [id for id in found.named(category, locale) if inside is None or id in inside]
        if inside is None:
            ids.sort(key=found.first_place_key)
        return ((category, tuple(ids)),)
    assert inside is not None, "a sheet is of a category, a district, or both"
    services = found.services
    groups = (
        (
            slug,
            tuple(
                id
                for id in found.named(slug, locale)
                if id in inside and services[id].categories[:1] == (slug,)
            ),
        )
        for slug in CATEGORY_SLUGS
    )
    return tuple((slug, ids) for slug, ids in groups if ids)
