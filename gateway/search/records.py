"""The plain facts the search index is built from, taken from the directory's snapshot.

The index takes these records rather than ORM objects, so that the benchmark can build it
from generated data through the same code path as the app.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

from gateway.directory.hours import DatedClosure, WeeklyRange
from gateway.directory.queries import DirectorySnapshot, ServiceFacts, field_values
from gateway.models import TEXT_FIELDS, ServiceStatus

# The texts searched, of a service's TEXT_FIELDS.
INDEXED_FIELDS = ("name", "summary", "description")
assert set(INDEXED_FIELDS) <= set(TEXT_FIELDS)


@dataclass(frozen=True)
class Place:
    """What the index knows of a place: some of its PLACE_FIELDS, under the same names."""

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


_PLACE_FIELDS = tuple(f.name for f in fields(Place))


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
        places=tuple(Place(**field_values(place, _PLACE_FIELDS)) for place in facts.places),
        ranges=facts.ranges,
        closures=facts.closures,
        active=facts.status is ServiceStatus.ACTIVE,
    )


def directory_records(directory: DirectorySnapshot) -> list[ServiceRecord]:
    """Every listed service of the snapshot as a record."""
    return [service_record(facts) for facts in directory.services.values()]
