"""Every response carries the security headers, error pages included; HTTPS ones carry HSTS."""

from __future__ import annotations

import pytest
from flask import Flask

HSTS = "max-age=31536000; includeSubDomains"


def _assert_secured(response) -> None:  # type: ignore[no-untyped-def]
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    policy = headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "script-src" not in policy


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/no-such-page", 404),
        ("GET", "/admin/no-such-page", 404),
        ("GET", "/sms", 405),
        ("GET", "/healthz", 200),
        ("POST", "/sms", 403),
        ("GET", "/admin/login", 200),
        ("GET", "/", 200),
    ],
)
def test_every_answer_carries_the_headers(app: Flask, method: str, path: str, status: int) -> None:
    response = app.test_client().open(path, method=method)
    assert response.status_code == status
    _assert_secured(response)


def test_a_413_page_carries_the_headers(app: Flask) -> None:
    response = app.test_client().post("/admin/login", data={"email": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413
    _assert_secured(response)


def test_a_500_page_carries_the_headers(app: Flask) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def broken() -> str:
        raise RuntimeError("a bug")

    app.add_url_rule("/broken-for-the-test", view_func=broken)
    response = app.test_client().get("/broken-for-the-test")
    assert response.status_code == 500
    _assert_secured(response)


def test_the_lite_site_keeps_its_own_policy_on_its_404_page(app: Flask) -> None:
    """The 404 page inlines the lite stylesheet: its policy must allow it, by hash."""
    response = app.test_client().get("/no-such-page")
    assert "style-src 'sha256-" in response.headers["Content-Security-Policy"]
    assert (
        "style-src 'self'"
        in app.test_client().get("/admin/login").headers["Content-Security-Policy"]
    )


@pytest.mark.parametrize("path", ["/", "/no-such-page", "/admin/login", "/healthz", "/sms"])
def test_https_answers_carry_hsts(app: Flask, path: str) -> None:
    response = app.test_client().get(path, base_url="https://guichet.example.org")
    assert response.headers["Strict-Transport-Security"] == HSTS


def test_hsts_when_the_public_address_is_https(app: Flask, change_settings) -> None:
    """Behind a proxy that does not say the request was HTTPS, the public address does."""
    change_settings(app, public_base_url="https://guichet.example.org")
    response = app.test_client().get("/")
    assert response.headers["Strict-Transport-Security"] == HSTS


def test_no_hsts_over_plain_http(app: Flask) -> None:
    """A developer's http://127.0.0.1 must not be pinned to HTTPS."""
    assert "Strict-Transport-Security" not in app.test_client().get("/").headers


def test_back_office_pages_are_never_cached_its_stylesheet_may_be(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/admin/login").headers["Cache-Control"] == "no-store"
    assert client.get("/admin/").headers["Cache-Control"] == "no-store"  # the way to log in
    with client.get("/admin/static/admin.css") as stylesheet:
        assert stylesheet.status_code == 200
        assert stylesheet.headers.get("Cache-Control") != "no-store"
        _assert_secured(stylesheet)


def test_the_dev_phone_allows_its_inline_style_and_nothing_else_does(app: Flask) -> None:
    client = app.test_client()
    response = client.get("/dev/phone")
    assert response.status_code == 200
    _assert_secured(response)
    assert "style-src 'unsafe-inline'" in response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in client.get("/admin/login").headers["Content-Security-Policy"]
