"""The plain facts the search index is built from, taken from the directory's snapshot.

The index takes these records rather than ORM objects, so that the benchmark can build it
from generated data through the same code path as the app.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from gateway.directory.hours import DatedClosure, WeeklyRange
from gateway.directory.queries import DirectorySnapshot, ServiceFacts
from gateway.models import TEXT_FIELDS, ServiceStatus

# The texts searched, of a service's TEXT_FIELDS.
INDEXED_FIELDS = ("name", "summary", "description")
assert set(INDEXED_FIELDS) <= set(TEXT_FIELDS)


class Located(Protocol):
    """What the index knows of a place: some of its PLACE_FIELDS, under the same names (a
    snapshot's :class:`~gateway.directory.queries.Place` is one)."""

    @property
    def postcode(self) -> str: ...
    @property
    def district(self) -> str: ...
    @property
    def latitude(self) -> float | None: ...
    @property
    def longitude(self) -> float | None: ...


@dataclass(frozen=True, slots=True)
class Place:
    """A place of a record made without a snapshot (the benchmark's, the tests')."""

    postcode: str
    district: str
    latitude: float | None
    longitude: float | None


@dataclass(frozen=True, slots=True)
class ServiceRecord:
    """The texts and places are a snapshot's own, shared with it: a record costs the index
    a few pointers per service, not a copy of its texts."""

    id: str
    texts: Mapping[str, Mapping[str, str]]  # locale -> field (INDEXED_FIELDS, maybe more) -> text
    organization: str
    categories: tuple[str, ...]
    places: tuple[Located, ...]
    ranges: tuple[WeeklyRange, ...] = ()
    closures: tuple[DatedClosure, ...] = ()
    active: bool = True


def service_record(facts: ServiceFacts) -> ServiceRecord:
    """What the index needs to know of one listed service."""
    return ServiceRecord(
        id=facts.id,
        texts=facts.texts,
        organization=facts.organization,
        categories=facts.categories,
        places=facts.places,
        ranges=facts.ranges,
        closures=facts.closures,
        active=facts.status is ServiceStatus.ACTIVE,
    )


def directory_records(directory: DirectorySnapshot) -> list[ServiceRecord]:
    """Every listed service of the snapshot as a record."""
    return [service_record(facts) for facts in directory.services.values()]
