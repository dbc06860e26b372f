"""Ordering hits: relevance first, then the resident's area, open now / opening soonest,
nearest, and finally name and id so that the same question always gets the same answer.

Relevance is compared in steps of a quarter of the best score, at most a quarter category
(see :mod:`gateway.search.index`), so that a word found in a description by the way does
not push a closed service above an open one of the same category. Within a step, services
with more of the resident's own words in their name come first ("cheap phone": the shop
of refurbished phones before the other computer help).
The index ranks services in name order (``SearchIndex.order``), the name-and-id tiebreak:
a group scanned in that order can stop early once enough are open.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import datetime

from gateway.directory.queries import Area
from gateway.search.index import CATEGORY_POINTS, Scores, SearchIndex, unit_vector

MAX_RELEVANCE_STEP = CATEGORY_POINTS / 4
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
    scores: Scores,
    *,
    at: datetime,
    timezone: str,
    area: Area | None,
    limit: int,
) -> list[Ranked]:
    """The best ``limit`` services of ``scores``, in order.

    Services fall in groups: the same relevance step, as many of the words typed in their
    name, the same side of the area. Hours and distances are worked out only for the groups
    that reach the first ``limit``.
    """
    relevance, name_hits = scores.relevance, scores.name_hits
    if not relevance:
        return []
    unit = min(MAX_RELEVANCE_STEP, max(relevance.values()) / 4)
    inside = index.in_area(area.postcode, area.district) if area is not None else set()
    groups: dict[tuple[int, int, bool], list[int]] = {}
    for position, score in relevance.items():
        key = (-int(score // unit), -name_hits.get(position, 0), position not in inside)
        groups.setdefault(key, []).append(position)
    ranked: list[Ranked] = []
    for key in sorted(groups):
        if len(ranked) >= limit:
            break
        group = sorted(groups[key], key=index.order.__getitem__)
        waits = index.openings.minutes(group, at, timezone)
        if area is None or area.latitude is None or area.longitude is None:
            chosen = _soonest(group, waits, limit - len(ranked))
        else:
            centre = unit_vector(area.latitude, area.longitude)
            chosen = _soonest_nearest(index, group, waits, centre, limit - len(ranked))
        ranked.extend(Ranked(group[i], relevance[group[i]], not key[2], waits[i]) for i in chosen)
    return ranked


def _soonest(group: list[int], waits: list[int | None], count: int) -> list[int]:
    """Indexes in ``group`` (in name order) of the ``count`` first by wait, then name.
    Open ones come first in name order, so the scan stops at ``count``."""
    open_now = []
    for i, wait in enumerate(waits):
        if wait == 0:
            open_now.append(i)
            if len(open_now) == count:
                return open_now
    later = heapq.nsmallest(
        count - len(open_now),
        ((_NEVER if wait is None else wait, i) for i, wait in enumerate(waits) if wait != 0),
    )
    return open_now + [i for _wait, i in later]


def _soonest_nearest(
    index: SearchIndex,
    group: list[int],
    waits: list[int | None],
    centre: tuple[float, float, float],
    count: int,
) -> list[int]:
    """Indexes in ``group`` (in name order) of the ``count`` first by wait, distance, then
    name.

    Distances matter only among those that wait no longer than the ``count``-th: the
    others are never chosen, so their distance is not worked out.
    """
    keys = [_NEVER if wait is None else wait for wait in waits]
    cutoff = heapq.nsmallest(count, keys)[-1] if count < len(keys) else _NEVER
    x, y, z = centre
    px, py, pz, unplaced = index.point_x, index.point_y, index.point_z, index.unplaced
    chosen = [i for i, wait in enumerate(keys) if wait <= cutoff]
    # -dot is within [-1, 1]; a service without coordinates comes after any placed one.
    far = [
        3 * unplaced[p] - (px[p] * x + py[p] * y + pz[p] * z) for p in (group[i] for i in chosen)
    ]
    for k, i in enumerate(chosen):
        for ox, oy, oz in index.more_points.get(group[i], ()):
            far[k] = min(far[k], -(ox * x + oy * y + oz * z))
    keyed = zip((keys[i] for i in chosen), far, chosen, strict=True)
    return [i for _wait, _far, i in heapq.nsmallest(count, keyed)]
