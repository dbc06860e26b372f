"""One-click actions, and archiving that never deletes."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gateway.audit import history
from gateway.db import db
from gateway.directory import operations
from gateway.directory.queries import directory_version, listed_services, service_card
from gateway.models import Closure, ClosureReason, Service, ServiceStatus

pytestmark = pytest.mark.backends("postgresql")

TZ = "Europe/Paris"


def today() -> date:
    return datetime.now(ZoneInfo(TZ)).date()


def card_now(service):  # type: ignore[no-untyped-def]
    return service_card(service, "fr", datetime.now(ZoneInfo(TZ)), TZ)


def test_verified_today(admin, make_service) -> None:
    service = make_service("Repas")
    version = directory_version(db.session)
    response = admin.post(f"/admin/services/{service.id}/quick/verified")
    assert response.status_code == 303
    assert service.verified_at is not None
    [entry] = history(db.session, "service", service.id)
    assert entry.action == "service.verify"
    assert entry.changes["verified_at"]["old"] is None
    assert directory_version(db.session) == version + 1


def test_closed_today_then_reopen(admin, make_service) -> None:
    service = make_service("Repas", hours=[(d, "00:00", "00:00") for d in range(7)])
    assert card_now(service).hours.open_now
    assert admin.post(f"/admin/services/{service.id}/quick/closed").status_code == 303
    [closure] = service.closures
    assert (closure.starts_on, closure.ends_on, closure.reason) == (
        today(),
        today(),
        ClosureReason.CLOSED_TODAY,
    )
    assert not card_now(service).hours.open_now
    assert card_now(service).hours.closure.reason == "closed_today"

    admin.post(f"/admin/services/{service.id}/quick/closed")  # twice is still one closure
    assert len(service.closures) == 1

    assert admin.post(f"/admin/services/{service.id}/quick/reopen").status_code == 303
    assert service.closures == []
    assert card_now(service).hours.open_now
    actions = [e.action for e in history(db.session, "service", service.id)]
    assert actions == ["service.reopen", "service.close_today"]


def test_full_today_replaces_closed_today(admin, make_service) -> None:
    service = make_service("Abri")
    admin.post(f"/admin/services/{service.id}/quick/closed")
    admin.post(f"/admin/services/{service.id}/quick/full")
    [closure] = service.closures
    assert closure.reason is ClosureReason.FULL_TODAY
    entry = history(db.session, "service", service.id)[0]
    assert entry.action == "service.full_today"
    assert entry.changes["closures"]["new"][0]["reason"] == "full_today"


def test_quick_actions_go_back_where_they_were_pressed(admin, make_service) -> None:
    service = make_service("Repas")
    response = admin.post(
        f"/admin/services/{service.id}/quick/verified", {"next": "/admin/services?q=Repas"}
    )
    assert response.location == "/admin/services?q=Repas"
    response = admin.post(
        f"/admin/services/{service.id}/quick/verified", {"next": "https://evil.example/"}
    )
    assert response.location == f"/admin/services/{service.id}"


def test_unknown_quick_action(admin, make_service) -> None:
    service = make_service("Repas")
    assert admin.post(f"/admin/services/{service.id}/quick/delete").status_code == 404


def test_reopen_cuts_a_longer_closure_around_today(app, make_service) -> None:
    service = make_service("Repas")
    day = date(2026, 12, 10)

    def closure(first: int, last: int, reason: ClosureReason) -> Closure:
        return Closure(
            starts_on=day + timedelta(first), ends_on=day + timedelta(last), reason=reason
        )

    service.status = ServiceStatus.TEMPORARILY_CLOSED
    service.closures = [
        closure(-2, 3, ClosureReason.WORKS),
        closure(0, 1, ClosureReason.HOLIDAY),
        closure(5, 6, ClosureReason.OTHER),
    ]
    db.session.flush()
    operations.reopen_service(db.session, "test", service, day)
    assert service.status is ServiceStatus.ACTIVE
    spans = sorted(
        ((c.starts_on - day).days, (c.ends_on - day).days, c.reason.value) for c in service.closures
    )
    assert spans == [(-2, -1, "works"), (1, 1, "holiday"), (1, 3, "works"), (5, 6, "other")]


def test_archive_and_restore_a_service(admin, make_service) -> None:
    service = make_service("Repas")
    assert admin.post(f"/admin/services/{service.id}/archive").status_code == 303
    assert service.archived_at is not None
    assert service not in listed_services(db.session)
    assert db.session.get(Service, service.id) is not None  # nothing deleted
    assert "This service is archived" in admin.text(f"/admin/services/{service.id}")
    assert "Repas" in admin.text("/admin/services?archived=1")
    assert "Repas" not in admin.text("/admin/services")

    assert admin.post(f"/admin/services/{service.id}/restore").status_code == 303
    assert service.archived_at is None
    assert service in listed_services(db.session)
    actions = [e.action for e in history(db.session, "service", service.id)]
    assert actions == ["service.restore", "service.archive"]


def test_the_form_offers_no_delete(admin, make_service) -> None:
    service = make_service("Repas")
    html = admin.text(f"/admin/services/{service.id}")
    assert "/delete" not in html
    assert ">Delete" not in html
    assert "Archive this service" in html


def test_archive_and_restore_an_organisation_with_its_services(admin, make_service) -> None:
    service = make_service("Repas")
    organization = service.organization
    earlier = make_service("Ancien", organization=organization)
    operations.archive_service(db.session, "test", earlier)  # archived on its own, before
    response = admin.post(f"/admin/organizations/{organization.id}/archive")
    assert response.status_code == 303
    assert organization.archived_at is not None
    assert service.archived_at == organization.archived_at
    assert organization.name not in admin.text("/admin/organizations")
    assert organization.name in admin.text("/admin/organizations?archived=1")

    assert admin.post(f"/admin/organizations/{organization.id}/restore").status_code == 303
    assert organization.archived_at is None
    assert service.archived_at is None
    assert earlier.archived_at is not None  # archived on its own: stays archived
    actions = [e.action for e in history(db.session, "organization", organization.id)]
    assert actions == ["organization.restore", "organization.archive"]


def test_create_and_edit_an_organisation(admin) -> None:
    response = admin.post(
        "/admin/organizations/new",
        {"name": "Croix-Rouge", "website": "croix-rouge.example", "email": ""},
    )
    assert response.status_code == 303
    organization_id = response.location.rsplit("/", 1)[1]
    response = admin.post(
        f"/admin/organizations/{organization_id}", {"name": "Croix-Rouge française"}
    )
    assert response.status_code == 303
    [edit, create] = history(db.session, "organization", organization_id)
    assert create.changes["website"]["new"] == "https://croix-rouge.example"
    assert edit.changes["name"] == {"old": "Croix-Rouge", "new": "Croix-Rouge française"}
    assert "Croix-Rouge française" in admin.text(f"/admin/organizations/{organization_id}")


def test_organisation_errors_keep_input(admin) -> None:
    response = admin.post("/admin/organizations/new", {"name": "", "description": "Gardée"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Give the organisation a name." in html
    assert "Gardée" in html
