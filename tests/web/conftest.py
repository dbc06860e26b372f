"""The lite site on the demo city, at a fixed moment so that "open now" is known."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient

from channels.web import views
from tests.web.pages import Page, body_of, parse

# Monday 30 November 2026, 10:00 in Val-de-Lisle: most day services are open.
MONDAY_10H = datetime(2026, 11, 30, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))


@pytest.fixture(autouse=True)
def pinned_clock(monkeypatch: pytest.MonkeyPatch) -> datetime:
    monkeypatch.setattr(views, "now", lambda: MONDAY_10H)
    return MONDAY_10H


@pytest.fixture
def web(demo_app: Flask) -> FlaskClient:
    """A browser on the demo city that asks for French and takes gzip."""
    client = demo_app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    client.environ_base["HTTP_ACCEPT_ENCODING"] = "gzip"
    return client


@pytest.fixture
def visit(web: FlaskClient) -> Callable[..., Page]:
    """GET a page that must answer 200, parsed."""

    def get(path: str, **headers: str) -> Page:
        response = web.get(path, headers=headers)
        assert response.status_code == 200, (path, response.status_code)
        return parse(body_of(response))

    return get
