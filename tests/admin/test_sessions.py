"""A session ends on the server: a cookie copied before signing out or changing the password
is refused afterwards, and what it tries to change is not changed."""

from __future__ import annotations

import pytest

from gateway.admin import accounts
from gateway.db import db
from gateway.models import LoginAttempt, User
from tests.admin.conftest import PASSWORD, AdminClient, as_pairs, form_of

pytestmark = pytest.mark.backends("postgresql")

NEW_PASSWORD = "la mer monte doucement sur les rochers"


def copy_of(app, browser: AdminClient) -> AdminClient:  # type: ignore[no-untyped-def]
    """Another browser holding a copy of ``browser``'s session cookie, as a thief would."""
    name = app.config["SESSION_COOKIE_NAME"]
    cookie = browser.client.get_cookie(name)
    assert cookie is not None
    thief = app.test_client()
    thief.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    thief.set_cookie(name, cookie.value)
    return AdminClient(thief)


def edit_with(thief: AdminClient, service, token: str):  # type: ignore[no-untyped-def]
    """Post the service's form with a new name and the token the page had given."""
    fields = form_of(service) | {"text-fr-name": "Piraté", "csrf_token": token}
    return thief.post(f"/admin/services/{service.id}", as_pairs(fields))


def name_of(service) -> str:  # type: ignore[no-untyped-def]
    db.session.refresh(service)
    return next(t.name for t in service.texts if t.locale == "fr")


def test_the_copy_works_while_the_session_lasts(app, editor_setup) -> None:
    browser, own, _other = editor_setup
    token = browser.token()
    thief = copy_of(app, browser)
    assert edit_with(thief, own, token).status_code == 303
    assert name_of(own) == "Piraté"  # so the refusals below are the session's doing


def test_a_cookie_copied_before_signing_out_is_refused_after(app, editor_setup) -> None:
    browser, own, _other = editor_setup
    token = browser.token()
    thief = copy_of(app, browser)
    assert browser.post("/admin/logout").status_code == 303

    response = edit_with(thief, own, token)
    assert response.status_code == 302
    assert response.location.startswith("/admin/login")
    assert thief.get("/admin/").status_code == 302
    assert name_of(own) == "Repas du cœur"


def test_signing_out_ends_the_account_s_other_browsers_too(app, editor_setup) -> None:
    browser, _own, _other = editor_setup
    elsewhere = AdminClient(app.test_client())
    assert elsewhere.login("editor@example.org").status_code == 303
    browser.post("/admin/logout")
    assert elsewhere.get("/admin/").status_code == 302


def change_password(browser: AdminClient, current: str, new: str, again: str | None = None):  # type: ignore[no-untyped-def]
    return browser.post(
        "/admin/password",
        {"current_password": current, "new_password": new, "new_password_again": again or new},
    )


def test_a_cookie_copied_before_a_password_change_is_refused_after(app, editor_setup) -> None:
    browser, own, _other = editor_setup
    token = browser.token()
    thief = copy_of(app, browser)
    response = change_password(browser, PASSWORD, NEW_PASSWORD)
    assert (response.status_code, response.location) == (303, "/admin/")
    assert "Your password is changed." in browser.text("/admin/")  # this browser goes on

    response = edit_with(thief, own, token)
    assert response.status_code == 302
    assert response.location.startswith("/admin/login")
    assert name_of(own) == "Repas du cœur"
    for password, status in ((NEW_PASSWORD, 303), (PASSWORD, 422)):
        fresh = AdminClient(app.test_client())
        assert fresh.login("editor@example.org", password).status_code == status


def test_changing_one_s_password_needs_the_current_one(app, editor_setup) -> None:
    browser, _own, _other = editor_setup
    response = change_password(browser, "not my password at all", NEW_PASSWORD)
    assert response.status_code == 422
    assert "This is not your current password." in response.get_data(as_text=True)
    assert NEW_PASSWORD not in response.get_data(as_text=True)
    assert AdminClient(app.test_client()).login("editor@example.org").status_code == 303
    failed = db.session.query(LoginAttempt).filter_by(succeeded=False).count()
    assert failed == 1  # a wrong current password counts like a wrong login


def test_the_new_password_is_typed_twice_and_meets_the_policy(app, editor_setup) -> None:
    browser, _own, _other = editor_setup
    mismatch = change_password(browser, PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "s")
    assert mismatch.status_code == 422
    assert "The two new passwords are not the same." in mismatch.get_data(as_text=True)
    weak = change_password(browser, PASSWORD, "password1234")
    assert weak.status_code == 422
    assert "most used passwords" in weak.get_data(as_text=True)
    assert AdminClient(app.test_client()).login("editor@example.org").status_code == 303


def test_the_password_page_is_reached_from_every_page(editor_setup) -> None:
    browser, _own, _other = editor_setup
    assert 'href="/admin/password"' in browser.text("/admin/")
    assert "Change my password" in browser.text("/admin/password")


def test_an_administrator_s_reset_ends_the_person_s_sessions(app, admin, make_user) -> None:
    worker = make_user("worker@example.org")
    theirs = AdminClient(app.test_client())
    assert theirs.login("worker@example.org").status_code == 303
    fields = {"email": worker.email, "role": "editor", "active": "on", "password": NEW_PASSWORD}
    assert admin.post(f"/admin/users/{worker.id}", fields).status_code == 303
    assert theirs.get("/admin/").status_code == 302
    assert admin.get("/admin/").status_code == 200


def test_an_administrator_changing_their_own_password_stays_signed_in(app, admin) -> None:
    me = accounts.find_user(db.session, "admin@example.org")
    assert me is not None
    elsewhere = AdminClient(app.test_client())
    assert elsewhere.login(me.email).status_code == 303
    fields = {"email": me.email, "role": "admin", "active": "on", "password": NEW_PASSWORD}
    assert admin.post(f"/admin/users/{me.id}", fields).status_code == 303
    assert admin.get("/admin/").status_code == 200
    assert elsewhere.get("/admin/").status_code == 302


def test_disabling_an_account_from_the_page_ends_its_sessions(app, admin, make_user) -> None:
    worker: User = make_user("worker@example.org")
    theirs = AdminClient(app.test_client())
    assert theirs.login("worker@example.org").status_code == 303
    fields = {"email": worker.email, "role": "editor", "active": ""}
    assert admin.post(f"/admin/users/{worker.id}", fields).status_code == 303
    assert theirs.get("/admin/").status_code == 302
