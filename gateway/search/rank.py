"""Ordering hits: relevance first, then the resident's area, open now / opening soonest,
nearest, and finally name and id so that the same question always gets the same answer.

Relevance is compared by whole points (see :mod:`gateway.search.index`), so that a stray
description word does not push a closed service above an open one of the same category.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby

from gateway.directory.queries import Area, distance_km
from gateway.search.index import SearchIndex
from gateway.search.records import ServiceRecord


@dataclass(frozen=True)
class Ranked:
    position: int
    score: float
    in_area: bool
    minutes_to_opening: int | None
    distance_km: float | None


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

    Hours and distances are worked out only for the groups (same whole relevance, same
    side of the area) that reach into the first ``limit`` places.
    """
    records, sort_names = index.records, index.sort_names
    postcode = area.postcode if area is not None else None
    district = area.district if area is not None else None
    coarse = sorted(
        (-int(score), not index.in_area(position, postcode, district), position)
        for position, score in scores.items()
    )
    ranked: list[Ranked] = []
    for (_tier, outside), group in groupby(coarse, key=lambda item: item[:2]):
        if len(ranked) >= limit:
            break
        detailed = []
        for _tier, _outside, position in group:
            minutes = index.openings.minutes_to_opening(position, at, timezone)
            distance = _distance(records[position], area)
            detailed.append(Ranked(position, scores[position], not outside, minutes, distance))
        ranked.extend(
            heapq.nsmallest(
                limit - len(ranked),
                detailed,
                key=lambda r: (
                    r.minutes_to_opening if r.minutes_to_opening is not None else math.inf,
                    r.distance_km if r.distance_km is not None else math.inf,
                    sort_names[r.position],
                    records[r.position].id,
                ),
            )
        )
    return ranked


def _distance(record: ServiceRecord, area: Area | None) -> float | None:
    if area is None or area.latitude is None or area.longitude is None:
        return None
    distances: Iterable[float] = (
        distance_km(area.latitude, area.longitude, place.latitude, place.longitude)
        for place in record.places
        if place.latitude is not None and place.longitude is not None
    )
    return min(distances, default=None)
