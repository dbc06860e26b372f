"""The demo city is rich enough to try every channel on, in every language."""

from sqlalchemy import func, select

from gateway.config import SUPPORTED_LOCALES
from gateway.db import db
from gateway.directory.queries import category_counts, listed_services
from gateway.models import SUMMARY_MAX_CHARS, Location, Organization, ServiceStatus


def test_size_and_spread(demo_app) -> None:
    session = db.session
    services = listed_services(session)
    assert len(services) >= 80
    assert session.scalar(select(func.count(Organization.id))) >= 15
    assert sum(1 for count in category_counts(session).values() if count) >= 12
    districts = session.scalars(select(Location.district).distinct()).all()
    postcodes = session.scalars(select(Location.postcode).distinct()).all()
    assert len([d for d in districts if d]) >= 4
    assert len([p for p in postcodes if p]) >= 3


def test_every_service_has_name_and_summary_in_six_languages(demo_app) -> None:
    for service in listed_services(db.session):
        texts = service.text_by_locale()
        for locale in SUPPORTED_LOCALES:
            assert texts[locale].name, (service.id, locale)
            assert 0 < len(texts[locale].summary) <= SUMMARY_MAX_CHARS, (service.id, locale)


def test_real_looking_hours(demo_app) -> None:
    services = listed_services(db.session)
    ranges = [(s, r) for s in services for r in s.schedules]
    assert any(r.overnight and r.opens_at.hour >= 18 for _, r in ranges), "a night shelter"
    evening_meals = [
        r for s, r in ranges if "food" in {c.slug for c in s.categories} and r.opens_at.hour >= 18
    ]
    assert evening_meals
    weekend_only = [s for s in services if s.schedules and all(r.weekday >= 5 for r in s.schedules)]
    assert weekend_only
    assert [s.status for s in services].count(ServiceStatus.TEMPORARILY_CLOSED) == 1
    assert any(s.closures for s in services if s.status is ServiceStatus.TEMPORARILY_CLOSED)
