"""Reading the directory, for every channel.

Channels never assemble a service's facts themselves: :func:`service_card` resolves the texts
for a locale (saying when it fell back to French), the hours at a moment, the place and phones.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from gateway.directory.hours import DatedClosure, Hours, HoursStatus, WeeklyRange
from gateway.i18n import Localized, pick_field
from gateway.models import (
    Category,
    DirectoryVersion,
    Location,
    Service,
    ServiceCategory,
    ServiceLocation,
    ServiceStatus,
)

_SERVICE_LOADING = (
    selectinload(Service.texts),
    selectinload(Service.categories),
    selectinload(Service.locations).joinedload(ServiceLocation.location),
    selectinload(Service.phones),
    selectinload(Service.schedules),
    selectinload(Service.closures),
    selectinload(Service.organization),
)


def directory_version(session: Session) -> int:
    return session.scalar(select(DirectoryVersion.version).where(DirectoryVersion.id == 1)) or 0


def categories(session: Session) -> list[Category]:
    return list(session.scalars(select(Category).order_by(Category.position)))


def category_counts(session: Session) -> dict[str, int]:
    """Listed services per category slug (every category appears, even when empty)."""
    rows = session.execute(
        select(Category.slug, func.count(Service.id))
        .select_from(Category)
        .outerjoin(ServiceCategory, ServiceCategory.category_id == Category.id)
        .outerjoin(
            Service,
            (Service.id == ServiceCategory.service_id) & listed_clause(),
        )
        .group_by(Category.slug)
    )
    return {slug: count for slug, count in rows}


def listed_clause():  # type: ignore[no-untyped-def]
    """Services residents may be shown: not archived, not inactive (temporarily closed stays)."""
    return (Service.archived_at.is_(None)) & (Service.status != ServiceStatus.INACTIVE)


def get_service(session: Session, service_id: str) -> Service | None:
    return session.scalars(
        select(Service).where(Service.id == service_id).options(*_SERVICE_LOADING)
    ).first()


def listed_services(session: Session, category: str | None = None) -> list[Service]:
    """Listed services with everything a card needs loaded, optionally of one category."""
    query = select(Service).where(listed_clause()).options(*_SERVICE_LOADING)
    if category is not None:
        query = query.join(ServiceCategory).join(Category).where(Category.slug == category)
    return list(session.scalars(query.order_by(Service.id)))


def hours_of(service: Service, timezone: str) -> Hours:
    return Hours(
        (WeeklyRange(s.weekday, s.opens_at, s.closes_at) for s in service.schedules),
        (
            DatedClosure(c.starts_on, c.ends_on, c.reason.value, dict(c.message))
            for c in service.closures
        ),
        timezone=timezone,
        closed=service.status is not ServiceStatus.ACTIVE,
    )


@dataclass(frozen=True)
class Area:
    """A postcode or district a resident named, with its centre when places there are known."""

    postcode: str | None
    district: str | None
    latitude: float | None
    longitude: float | None

    def contains(self, location: Location) -> bool:
        if self.postcode and location.postcode == self.postcode:
            return True
        return (
            bool(self.district) and location.district.casefold() == (self.district or "").casefold()
        )


def find_area(session: Session, postcode: str | None = None, district: str | None = None) -> Area:
    query = select(func.avg(Location.latitude), func.avg(Location.longitude))
    if postcode:
        query = query.where(Location.postcode == postcode)
    elif district:
        query = query.where(func.lower(Location.district) == district.lower())
    else:
        return Area(None, None, None, None)
    lat, lon = session.execute(query).one()
    return Area(postcode, district, lat, lon)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine); good to a few metres at a city's scale."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))


@dataclass(frozen=True)
class ServiceCard:
    """A service as a resident sees it at one moment, in one locale."""

    id: str
    name: Localized
    summary: Localized
    description: Localized
    eligibility: Localized
    how_to_access: Localized
    organization: str
    categories: tuple[str, ...]
    status: ServiceStatus
    access_conditions: tuple[str, ...]
    languages: tuple[str, ...]
    location: Location | None
    phones: tuple[tuple[str, str], ...]  # (number, kind)
    hours: HoursStatus
    weekly: tuple[WeeklyRange, ...]
    upcoming_closures: tuple[DatedClosure, ...]
    verified_at: datetime | None
    distance_km: float | None

    @property
    def any_fallback(self) -> bool:
        """True when a text shown is French because the asked locale had none."""
        return self.name.fallback or self.summary.fallback


def service_card(
    service: Service, locale: str, at: datetime, timezone: str, area: Area | None = None
) -> ServiceCard:
    texts = service.text_by_locale()
    hours = hours_of(service, timezone)
    location = service.locations[0].location if service.locations else None
    if area is not None:
        location = next(
            (sl.location for sl in service.locations if area.contains(sl.location)), location
        )
    distance = None
    if (
        area is not None
        and area.latitude is not None
        and area.longitude is not None
        and location is not None
        and location.latitude is not None
        and location.longitude is not None
    ):
        distance = distance_km(area.latitude, area.longitude, location.latitude, location.longitude)
    today = at.astimezone(hours.tz).date()
    return ServiceCard(
        id=service.id,
        name=pick_field(texts, "name", locale),
        summary=pick_field(texts, "summary", locale),
        description=pick_field(texts, "description", locale),
        eligibility=pick_field(texts, "eligibility", locale),
        how_to_access=pick_field(texts, "how_to_access", locale),
        organization=service.organization.name,
        categories=tuple(c.slug for c in service.categories),
        status=service.status,
        access_conditions=tuple(service.access_conditions),
        languages=tuple(service.languages),
        location=location,
        phones=tuple((p.number, p.kind) for p in service.phones),
        hours=hours.status(at),
        weekly=hours.ranges,
        upcoming_closures=tuple(c for c in hours.closures if c.ends_on >= today),
        verified_at=service.verified_at,
        distance_km=distance,
    )


def rank_cards(cards: Sequence[ServiceCard]) -> list[ServiceCard]:
    """Open now / opening soonest first, then nearest, then by name: deterministic."""

    def key(card: ServiceCard) -> tuple[int, float, float, str, str]:
        minutes = card.hours.minutes_to_opening
        return (
            0 if card.status is ServiceStatus.ACTIVE else 1,
            float(minutes) if minutes is not None else math.inf,
            card.distance_km if card.distance_km is not None else math.inf,
            card.name.text.casefold(),
            card.id,
        )

    return sorted(cards, key=key)


def services_of_category(
    session: Session,
    category: str,
    locale: str,
    at: datetime,
    timezone: str,
    area: Area | None = None,
) -> list[ServiceCard]:
    """A category's services as cards; those in the resident's area first when one is given."""
    cards = [
        service_card(s, locale, at, timezone, area) for s in listed_services(session, category)
    ]
    ranked = rank_cards(cards)
    if area is None or (area.postcode is None and area.district is None):
        return ranked
    inside = [c for c in ranked if c.location is not None and area.contains(c.location)]
    return inside + [c for c in ranked if c not in inside]
