"""Odd bytes at the login form get a form error or the back office's home, never a 500 and
never another site."""

from __future__ import annotations

import pytest

from tests.admin.conftest import AdminClient

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


@pytest.mark.parametrize("target", ODD_TARGETS[:3])
def test_odd_next_after_a_quick_action_goes_back_to_the_service(admin, make_service, target):  # type: ignore[no-untyped-def]
    service = make_service("Repas")
    response = admin.post(f"/admin/services/{service.id}/quick/verified", {"next": target})
    assert (response.status_code, response.location) == (303, f"/admin/services/{service.id}")


def test_a_plain_back_office_next_is_still_followed(client, make_user) -> None:
    make_user("worker@example.org")
    target = "/admin/services?q=repas&category=food"
    response = AdminClient(client).login("worker@example.org", next=target)
    assert (response.status_code, response.location) == (303, target)
