"""The plain facts the search index is built from, taken from the directory's snapshot.

The index takes these records rather than ORM objects, so that the benchmark can build it
from generated data through the same code path as the app.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from gateway.directory.hours import DatedClosure, WeeklyRange
from gateway.directory.queries import DirectorySnapshot, ServiceFacts
from gateway.models import ServiceStatus

INDEXED_FIELDS = ("name", "summary", "description")


@dataclass(frozen=True)
class Place:
    postcode: str
    district: str
    latitude: float | None
    longitude: float | None


@dataclass(frozen=True)
class ServiceRecord:
    id: str
    texts: Mapping[str, Mapping[str, str]]  # locale -> field (INDEXED_FIELDS) -> text
    organization: str
    categories: tuple[str, ...]
    places: tuple[Place, ...]
    ranges: tuple[WeeklyRange, ...] = ()
    closures: tuple[DatedClosure, ...] = ()
    active: bool = True


def service_record(facts: ServiceFacts) -> ServiceRecord:
    """What the index needs to know of one listed service."""
    return ServiceRecord(
        id=facts.id,
        texts={
            locale: {name: texts[name] for name in INDEXED_FIELDS}
            for locale, texts in facts.texts.items()
        },
        organization=facts.organization,
        categories=facts.categories,
        places=tuple(
            Place(place.postcode, place.district, place.latitude, place.longitude)
            for place in facts.places
        ),
        ranges=facts.ranges,
        closures=facts.closures,
        active=facts.status is ServiceStatus.ACTIVE,
    )


def directory_records(directory: DirectorySnapshot) -> list[ServiceRecord]:
    """Every listed service of the snapshot as a record."""
    return [service_record(facts) for facts in directory.services.values()]
