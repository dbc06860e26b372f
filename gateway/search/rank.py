"""Ordering hits: relevance first, then the resident's area, open now / opening soonest,
nearest, and finally name and id so that the same question always gets the same answer.

Relevance is compared by whole points (see :mod:`gateway.search.index`), so that a stray
description word does not push a closed service above an open one of the same category.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from gateway.directory.queries import Area
from gateway.search.index import SearchIndex

# Stands for "no opening known" among waits in minutes (more than the look-ahead).
_NEVER = 10**7


@dataclass(frozen=True)
class Ranked:
    position: int
    score: float
    in_area: bool
    minutes_to_opening: int | None


def rank(
    index: SearchIndex,
    scores: dict[int, float],
    *,
    at: datetime,
    timezone: str,
    area: Area | None,
    limit: int,
) -> list[Ranked]:
    """The best ``limit`` services of ``scores``, in order.

    Services fall in groups of the same whole relevance and the same side of the area;
    hours and distances are worked out only for the groups that reach the first ``limit``.
    """
    groups: dict[tuple[int, bool], list[int]] = {}
    if area is None or (area.postcode is None and area.district is None):
        for position, score in scores.items():
            groups.setdefault((-int(score), True), []).append(position)
    else:
        for position, score in scores.items():
            inside = index.in_area(position, area.postcode, area.district)
            groups.setdefault((-int(score), not inside), []).append(position)
    ranked: list[Ranked] = []
    for key in sorted(groups):
        if len(ranked) >= limit:
            break
        group = groups[key]
        waits = index.openings.minutes(group, at, timezone)
        ordered = _best(index, group, waits, area, limit - len(ranked))
        ranked.extend(Ranked(p, scores[p], not key[1], waits[i]) for i, p in ordered)
    return ranked


def _best(
    index: SearchIndex,
    group: list[int],
    waits: list[int | None],
    area: Area | None,
    count: int,
) -> list[tuple[int, int]]:
    """(index in group, position) of the ``count`` first by wait, nearness, name."""
    names = index.name_ranks
    size = len(names)
    if area is None or area.latitude is None or area.longitude is None:
        # No distance to weigh: wait then name rank fold into one integer key.
        keys = [
            ((_NEVER if wait is None else wait) * size + names[position], i)
            for i, (position, wait) in enumerate(zip(group, waits, strict=True))
        ]
        return [(i, group[i]) for _key, i in heapq.nsmallest(count, keys)]
    nearness = _nearness(index, group, area.latitude, area.longitude)
    keyed = [
        (_NEVER if wait is None else wait, near, names[position], i)
        for i, (position, wait, near) in enumerate(zip(group, waits, nearness, strict=True))
    ]
    return [(i, group[i]) for *_key, i in heapq.nsmallest(count, keyed)]


def _nearness(
    index: SearchIndex, group: Sequence[int], latitude: float, longitude: float
) -> list[float]:
    """A value that orders like the distance from the area's centre (the haversine's inner
    term, monotonic in the distance), infinite for a service without coordinates."""
    lat, lon = math.radians(latitude), math.radians(longitude)
    cos_lat = math.cos(lat)
    sin = math.sin
    found = []
    for position in group:
        best = math.inf
        for place_lat, place_lon, place_cos in index.coordinates[position]:
            value = (
                sin((place_lat - lat) / 2) ** 2
                + cos_lat * place_cos * sin((place_lon - lon) / 2) ** 2
            )
            best = min(best, value)
        found.append(best)
    return found
