"""The plain facts the search index is built from, read from the directory in one pass.

The index takes these records rather than ORM objects, so that the benchmark can build it
from generated data through the same code path as the app.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from gateway.directory.hours import DatedClosure, WeeklyRange
from gateway.directory.queries import listed_services
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


def directory_records(session: Session) -> list[ServiceRecord]:
    """Every listed service as a record (a handful of queries, whatever the directory's size)."""
    return [
        ServiceRecord(
            id=service.id,
            texts={
                text.locale: {field: getattr(text, field) or "" for field in INDEXED_FIELDS}
                for text in service.texts
            },
            organization=service.organization.name,
            categories=tuple(category.slug for category in service.categories),
            places=tuple(
                Place(
                    sl.location.postcode,
                    sl.location.district,
                    sl.location.latitude,
                    sl.location.longitude,
                )
                for sl in service.locations
            ),
            ranges=tuple(
                WeeklyRange(s.weekday, s.opens_at, s.closes_at) for s in service.schedules
            ),
            closures=tuple(
                DatedClosure(c.starts_on, c.ends_on, c.reason.value, dict(c.message))
                for c in service.closures
            ),
            active=service.status is ServiceStatus.ACTIVE,
        )
        for service in listed_services(session)
    ]
