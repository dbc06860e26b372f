"""Odd bytes get a form error, an error page or the back office's home: never a 500, never
another site, and nothing saved."""

from __future__ import annotations

import pytest

from gateway.db import db
from gateway.models import Organization, User
from tests.admin.conftest import PASSWORD, AdminClient, as_pairs, csrf_token, form_of

pytestmark = pytest.mark.backends("postgresql")

EMAIL_ERROR = "Write an email address like name@example.org."


EMAILS = ["worker\x00@example.org", "\x00", "worker@example.org\r\nBcc: x@example.org", "a\tb@c.d"]


@pytest.mark.parametrize("email", EMAILS)
def test_control_characters_in_the_email_are_a_form_error(client, make_user, email) -> None:
    make_user("worker@example.org")
    response = AdminClient(client).login(email)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert EMAIL_ERROR in page
    assert "\x00" not in page
    assert client.get("/admin/").status_code == 302


ODD_TARGETS = [
    "/admin/changes\r\nSet-Cookie: planted=1",
    "/admin/\nLocation: https://evil.example/",
    "/admin/\x00",
    "/admin/%0d%0a/../../lite/",
    "/admin/../lite/",
    "/admin/%2e%2e/lite/",
    "/admin\\..\\lite",
    " /admin/changes",
    "/admin/\u2028changes",
    "javascript:alert(1)",
    "///evil.example/admin/",
    "https:/evil.example/admin/",
    "/\\evil.example/admin/",
]


@pytest.mark.parametrize("target", ODD_TARGETS)
def test_odd_next_after_login_goes_home(client, make_user, target) -> None:
    make_user("worker@example.org")
    response = AdminClient(client).login("worker@example.org", next=target)
    assert (response.status_code, response.location) == (303, "/admin/")
    assert "planted" not in response.headers.get("Set-Cookie", "")


@pytest.mark.parametrize("target", ODD_TARGETS[:3])
def test_odd_next_when_signed_in_goes_home(admin, target) -> None:
    response = admin.get("/admin/login", query_string={"next": target})
    assert (response.status_code, response.location) == (302, "/admin/")


@pytest.mark.parametrize("target", ODD_TARGETS[:2])  # a NUL is refused whole, see below
def test_odd_next_after_a_quick_action_goes_back_to_the_service(admin, make_service, target):  # type: ignore[no-untyped-def]
    service = make_service("Repas")
    response = admin.post(f"/admin/services/{service.id}/quick/verified", {"next": target})
    assert (response.status_code, response.location) == (303, f"/admin/services/{service.id}")


def test_a_plain_back_office_next_is_still_followed(client, make_user) -> None:
    make_user("worker@example.org")
    target = "/admin/services?q=repas&category=food"
    response = AdminClient(client).login("worker@example.org", next=target)
    assert (response.status_code, response.location) == (303, target)


NUL_QUERIES = [
    "/admin/services?q=%00",
    "/admin/services?organization=%00",
    "/admin/translations?locale=%00",
    "/admin/services/new?organization=%00",
    "/admin/changes?page=1%00",
]


@pytest.mark.parametrize("path", NUL_QUERIES)
def test_nul_in_a_query_is_a_bad_request_page(admin, path) -> None:
    response = admin.get(path)
    assert response.status_code == 400
    assert "The back office cannot use what this page sent." in response.get_data(as_text=True)


def test_nul_in_an_address_is_not_found(admin) -> None:
    for path in ("/admin/services/%00", "/admin/organizations/x%00y"):
        assert admin.get(path).status_code == 404


def test_nul_in_a_form_saves_nothing(admin, make_service, make_organization) -> None:
    service = make_service("Repas")
    organization = make_organization("Secours")
    fields = form_of(service) | {"text-fr-name": "Re\x00pas"}
    posts = [
        (f"/admin/services/{service.id}", as_pairs(fields)),
        (f"/admin/organizations/{organization.id}", {"name": "Sec\x00ours"}),
        ("/admin/organizations/new", {"name": "Nouvelle\x00"}),
        (
            "/admin/users/new",
            {"email": "a\x00@example.org", "role": "editor", "password": PASSWORD},
        ),
    ]
    for path, data in posts:
        response = admin.post(path, data)
        assert response.status_code == 400, path
    db.session.refresh(service)
    db.session.refresh(organization)
    assert [t.name for t in service.texts if t.locale == "fr"] == ["Repas"]
    assert organization.name == "Secours"
    assert db.session.query(Organization).filter(Organization.name.like("Nouvelle%")).count() == 0
    assert db.session.query(User).count() == 1  # the administrator only


def test_a_login_without_its_fields_is_refused_like_a_wrong_password(client) -> None:
    token = csrf_token(client.get("/admin/login").get_data(as_text=True))
    response = client.post("/admin/login", data={"csrf_token": token})
    assert response.status_code == 422
    assert "We could not sign you in" in response.get_data(as_text=True)
