"""Signing in and out: anonymous visitors, expiring sessions, CSRF, headers (slowed guessing:
test_throttle; sessions ended on the server: test_sessions)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import session as flask_session

from gateway.admin import accounts, auth
from gateway.config import settings
from gateway.db import db
from gateway.models import UserRole
from tests.admin.conftest import PASSWORD, AdminClient, csrf_token

pytestmark = pytest.mark.backends("postgresql")

GENERIC = "We could not sign you in with this email and password."


@pytest.mark.parametrize(
    "path",
    ["/admin/", "/admin/services", "/admin/changes", "/admin/users", "/admin/services/x/history"],
)
def test_anonymous_visitors_are_sent_to_the_login_page(client, path) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response.location.startswith("/admin/login?next=")


def test_anonymous_posts_change_nothing(client, make_service) -> None:
    service = make_service("Repas")
    response = client.post(f"/admin/services/{service.id}/archive")
    assert response.status_code == 302
    assert service.archived_at is None


def test_login_then_back_to_the_page_asked_for(client, make_user) -> None:
    make_user("worker@example.org")
    browser = AdminClient(client)
    client.get("/admin/changes")
    response = browser.login("worker@example.org", next="/admin/changes")
    assert (response.status_code, response.location) == (303, "/admin/changes")
    assert "Recent changes" in browser.text("/admin/changes")


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/admin", "/lite/"])
def test_login_never_sends_elsewhere(client, make_user, target) -> None:
    make_user("worker@example.org")
    response = AdminClient(client).login("worker@example.org", next=target)
    assert response.location == "/admin/"


def test_wrong_password_unknown_email_and_disabled_account_get_the_same_message(
    client, make_user
) -> None:
    user = make_user("worker@example.org")
    browser = AdminClient(client)
    wrong = browser.login("worker@example.org", "not the password")
    unknown = browser.login("nobody@example.org", PASSWORD)
    accounts.disable_user(db.session, "test", user)
    disabled = browser.login("worker@example.org", PASSWORD)
    for response in (wrong, unknown, disabled):
        assert response.status_code == 422
        assert GENERIC in response.get_data(as_text=True)
    assert 'value="worker@example.org"' in disabled.get_data(as_text=True)  # typed email kept
    assert client.get("/admin/").status_code == 302


def test_email_is_not_case_sensitive(client, make_user) -> None:
    make_user("Worker@Example.org")
    assert AdminClient(client).login("  WORKER@example.ORG ").status_code == 303


def test_logout_ends_the_session(admin) -> None:
    response = admin.post("/admin/logout")
    assert (response.status_code, response.location) == (303, "/admin/login")
    assert admin.get("/admin/").status_code == 302


def test_logout_needs_the_csrf_token(admin) -> None:
    assert admin.client.post("/admin/logout").status_code == 400
    assert admin.get("/admin/").status_code == 200


def test_idle_sessions_expire(clock, admin, app) -> None:
    clock.advance(timedelta(minutes=settings(app).admin_idle_minutes + 1))
    assert admin.get("/admin/").status_code == 302


def test_activity_keeps_a_session_alive(clock, admin, app) -> None:
    for _ in range(3):
        clock.advance(timedelta(minutes=settings(app).admin_idle_minutes - 1))
        assert admin.get("/admin/").status_code == 200


def test_the_session_cookie_lives_no_longer_than_the_idle_limit(app) -> None:
    assert app.permanent_session_lifetime == timedelta(minutes=settings(app).admin_idle_minutes)


def test_disabling_an_account_ends_its_sessions(admin, make_user, client) -> None:
    user = db.session.query(accounts.User).filter_by(email="admin@example.org").one()
    accounts.disable_user(db.session, "test", user)
    assert admin.get("/admin/").status_code == 302


def test_a_new_password_ends_other_sessions(admin, app) -> None:
    user = accounts.find_user(db.session, "admin@example.org")
    assert user is not None
    data = accounts.AccountData.of(user)
    accounts.update_user(db.session, "test", user, data, password="another long password")
    assert admin.get("/admin/").status_code == 302


def test_a_tampered_session_is_refused(admin, app) -> None:
    with admin.client.session_transaction() as sess:
        user_id, _token = sess[auth.SESSION_USER].split(":")
        sess[auth.SESSION_USER] = f"{user_id}:forged"
    assert admin.get("/admin/").status_code == 302


def test_login_starts_a_fresh_session(client, make_user) -> None:
    make_user("worker@example.org")
    with client.session_transaction() as sess:
        sess["planted"] = "by someone else"
    AdminClient(client).login("worker@example.org")
    with client.session_transaction() as sess:
        assert "planted" not in sess


# --------------------------------------------------------------------------------------------
# CSRF
# --------------------------------------------------------------------------------------------


def test_login_needs_the_csrf_token(client, make_user) -> None:
    make_user("worker@example.org")
    client.get("/admin/login")
    response = client.post(
        "/admin/login", data={"email": "worker@example.org", "password": PASSWORD}
    )
    assert response.status_code == 400
    assert client.get("/admin/").status_code == 302


@pytest.mark.parametrize("token", [None, "", "wrong", "IjEyMyI.ZZZ.forged"])
def test_every_form_refuses_a_missing_or_wrong_token(admin, make_service, token) -> None:
    service = make_service("Repas")
    data = {} if token is None else {"csrf_token": token}
    for path in (
        f"/admin/services/{service.id}",
        f"/admin/services/{service.id}/quick/verified",
        f"/admin/services/{service.id}/archive",
        "/admin/organizations/new",
        "/admin/users/new",
    ):
        response = admin.client.post(path, data=data)
        assert response.status_code == 400, path
        assert "This form has expired" in response.get_data(as_text=True)
    assert service.archived_at is None


def test_a_token_from_another_session_is_refused(admin, client, make_service, app) -> None:
    service = make_service("Repas")
    other = app.test_client()
    foreign = csrf_token(other.get("/admin/login").get_data(as_text=True))
    response = admin.client.post(
        f"/admin/services/{service.id}/archive", data={"csrf_token": foreign}
    )
    assert response.status_code == 400


def test_webhooks_outside_the_back_office_are_not_asked_for_a_token(app) -> None:
    assert app.config["WTF_CSRF_CHECK_DEFAULT"] is False


# --------------------------------------------------------------------------------------------
# Cookies and headers
# --------------------------------------------------------------------------------------------


def test_session_cookie_flags(client, make_user) -> None:
    make_user("worker@example.org")
    response = AdminClient(client).login("worker@example.org")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_cookies_are_secure_outside_tests_and_debug(tmp_path) -> None:
    from gateway import create_app
    from tests.conftest import settings_for

    app = create_app(
        settings_for(f"sqlite:///{tmp_path / 'x.sqlite3'}", TESTING=False, SECRET_KEY="k" * 40)
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


@pytest.mark.parametrize("path", ["/admin/login", "/admin/", "/admin/static/admin.css"])
def test_security_headers(admin, path) -> None:
    response = admin.get(path)
    response.close()
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "script-src" not in csp  # no script at all, inline or not
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_pages_are_not_cached(admin) -> None:
    assert admin.get("/admin/").headers["Cache-Control"] == "no-store"


def test_no_inline_script_or_style_in_pages(admin, make_service) -> None:
    service = make_service("Repas")
    for path in ("/admin/login", "/admin/", f"/admin/services/{service.id}", "/admin/changes"):
        html = admin.get(path).get_data(as_text=True)
        assert "<script" not in html
        assert " style=" not in html
        assert " on" + "click=" not in html


def test_password_hashes_are_scrypt(app, make_user) -> None:
    user = make_user("worker@example.org", UserRole.ADMIN)
    assert user.password_hash.startswith("scrypt:")
    assert PASSWORD not in user.password_hash


def test_session_keeps_only_ids(admin) -> None:
    with admin.client.session_transaction() as sess:
        assert set(sess) <= {
            auth.SESSION_USER,
            auth.SESSION_SEEN,
            "csrf_token",
            "_flashes",
            "_permanent",
        }
        assert PASSWORD not in str(dict(sess))


def test_flask_session_is_permanent_after_login(admin) -> None:
    with admin.client.session_transaction() as sess:
        assert sess.permanent
    assert flask_session is not None
