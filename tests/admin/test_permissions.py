"""Who may touch what: editors keep their organisations' services, admins everything."""

from __future__ import annotations

import pytest

from gateway.models import UserRole
from tests.admin.conftest import AdminClient, as_pairs, form_of

pytestmark = pytest.mark.backends("postgresql")


def test_editor_edits_their_own_service(editor_setup) -> None:
    browser, own, _other = editor_setup
    assert browser.get(f"/admin/services/{own.id}").status_code == 200
    fields = form_of(own) | {"url": "https://repas.example.org"}
    response = browser.post(f"/admin/services/{own.id}", as_pairs(fields))
    assert response.status_code == 303
    assert own.url == "https://repas.example.org"


@pytest.mark.parametrize(
    "method, suffix",
    [
        ("get", ""),
        ("post", ""),
        ("get", "/history"),
        ("post", "/quick/verified"),
        ("post", "/quick/closed"),
        ("post", "/archive"),
        ("post", "/restore"),
    ],
)
def test_editor_cannot_touch_another_organisations_service(editor_setup, method, suffix) -> None:
    browser, _own, other = editor_setup
    path = f"/admin/services/{other.id}{suffix}"
    response = browser.get(path) if method == "get" else browser.post(path, form_of(other))
    assert response.status_code == 403
    assert other.archived_at is None
    assert not other.closures


def test_editor_cannot_move_a_service_into_another_organisation(editor_setup) -> None:
    browser, own, other = editor_setup
    fields = form_of(own) | {"organization_id": other.organization_id}
    response = browser.post(f"/admin/services/{own.id}", as_pairs(fields))
    assert response.status_code == 422
    assert own.organization_id != other.organization_id


def test_editor_cannot_create_a_service_elsewhere(editor_setup) -> None:
    browser, _own, other = editor_setup
    fields = form_of(other) | {"text-fr-name": "Intrus"}
    response = browser.post("/admin/services/new", as_pairs(fields))
    assert response.status_code == 422
    assert "Choose the organisation" in response.get_data(as_text=True)


def test_editor_lists_only_their_services(editor_setup) -> None:
    browser, own, other = editor_setup
    page = browser.text("/admin/services")
    assert "Repas du cœur" in page
    assert "Douches municipales" not in page


@pytest.mark.parametrize(
    "method, path",
    [("get", "/admin/users"), ("get", "/admin/users/new"), ("post", "/admin/users/new")],
)
def test_editor_cannot_touch_accounts(editor_setup, method, path) -> None:
    browser = editor_setup[0]
    data = {"email": "new@example.org", "role": "admin", "password": "x" * 20}
    response = browser.get(path) if method == "get" else browser.post(path, data)
    assert response.status_code == 403


def test_editor_cannot_edit_their_own_account(editor_setup) -> None:
    from gateway.admin.accounts import find_user
    from gateway.db import db

    browser = editor_setup[0]
    me = find_user(db.session, "editor@example.org")
    assert me is not None
    response = browser.post(
        f"/admin/users/{me.id}", {"email": me.email, "role": "admin", "active": "on"}
    )
    assert response.status_code == 403
    assert me.role is UserRole.EDITOR


def test_editor_cannot_create_or_archive_organisations(editor_setup) -> None:
    browser, own, _other = editor_setup
    assert browser.get("/admin/organizations/new").status_code == 403
    assert browser.post("/admin/organizations/new", {"name": "X"}).status_code == 403
    archive = f"/admin/organizations/{own.organization_id}/archive"
    assert browser.post(archive).status_code == 403
    assert own.organization.archived_at is None


def test_editor_edits_their_own_organisation_only(editor_setup) -> None:
    browser, own, other = editor_setup
    response = browser.post(f"/admin/organizations/{own.organization_id}", {"name": "Renamed"})
    assert response.status_code == 303
    assert own.organization.name == "Renamed"
    response = browser.post(f"/admin/organizations/{other.organization_id}", {"name": "Hijack"})
    assert response.status_code == 403


def test_editor_of_every_organisation(client, make_user, make_service) -> None:
    service = make_service("Douches")
    make_user("city@example.org", all_organizations=True)
    browser = AdminClient(client)
    browser.login("city@example.org")
    assert browser.post(f"/admin/services/{service.id}/quick/verified").status_code == 303
    assert browser.get("/admin/organizations/new").status_code == 200
    assert browser.get("/admin/users").status_code == 403


def test_admin_manages_accounts(admin, make_organization) -> None:
    organization = make_organization("Secours")
    response = admin.post(
        "/admin/users/new",
        [
            ("email", "New@Example.org"),
            ("role", "editor"),
            ("organizations", organization.id),
            ("password", "a long enough password"),
            ("active", "on"),
        ],
    )
    assert response.status_code == 303
    page = admin.text("/admin/users")
    assert "new@example.org" in page
    assert "Secours" in page


def test_account_form_errors_keep_input_but_never_the_password(admin) -> None:
    response = admin.post(
        "/admin/users/new",
        {"email": "someone@example.org", "role": "editor", "password": "tooshort"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "A password needs at least 12 characters." in html
    assert 'value="someone@example.org"' in html
    assert "tooshort" not in html


def test_admin_cannot_lock_themselves_out(admin) -> None:
    from gateway.admin.accounts import find_user
    from gateway.db import db

    me = find_user(db.session, "admin@example.org")
    assert me is not None
    response = admin.post(f"/admin/users/{me.id}", {"email": me.email, "role": "editor"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "You cannot disable your own account." in html
    assert "You cannot take away your own administrator role." in html


def test_admin_disables_an_account_and_its_sessions_end(admin, client, make_user, app) -> None:
    worker = make_user("worker@example.org")
    other_browser = AdminClient(app.test_client())
    assert other_browser.login("worker@example.org").status_code == 303
    response = admin.post(f"/admin/users/{worker.id}", {"email": worker.email, "role": "editor"})
    assert response.status_code == 303
    assert not worker.active
    assert other_browser.get("/admin/").status_code == 302


def test_editors_see_directory_changes_but_not_account_changes(editor_setup) -> None:
    browser, own, other = editor_setup
    from gateway.db import db
    from gateway.directory import operations

    operations.verify_service(db.session, "someone@example.org", other)
    page = browser.text("/admin/changes")
    assert "Marked as verified today" in page  # the directory's trail, whole
    assert "Account created" not in page
    assert "editor@example.org</td>" not in page
