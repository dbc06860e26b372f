"""The lite site on the demo city, at a fixed moment so that "open now" is known."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Clock
from tests.web.pages import Page, body_of, parse


@pytest.fixture(autouse=True)
def pinned_clock(clock: Clock) -> Clock:
    """Every page is rendered at :data:`MONDAY_10H`, so that "open now" is known."""
    return clock


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
