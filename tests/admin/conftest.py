"""Back-office fixtures: accounts, a signed-in client that sends the CSRF token, services.

The views run on PostgreSQL; what the database counts (login attempts) on both backends
(tests/conftest.py says why).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.security import generate_password_hash
from werkzeug.test import TestResponse

from gateway.admin import accounts
from gateway.db import db
from gateway.directory import operations
from gateway.models import Organization, Service, User, UserRole

PASSWORD = "correct horse battery staple"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = _TOKEN.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


class AdminClient:
    """A test client that signs in and sends the page's CSRF token with every POST."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self._token: str | None = None

    def login(self, email: str, password: str = PASSWORD, **extra: str) -> TestResponse:
        token = csrf_token(self.client.get("/admin/login").get_data(as_text=True))
        response = self.client.post(
            "/admin/login",
            data={"email": email, "password": password, "csrf_token": token, **extra},
        )
        self._token = None  # a new session has a new token
        return response

    def token(self) -> str:
        if self._token is None:
            self._token = csrf_token(self.client.get("/admin/").get_data(as_text=True))
        return self._token

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: Any = None, **kwargs: Any) -> TestResponse:
        """POST ``data`` (a dict, or a list of pairs for repeated names) with the token."""
        pairs = list(data.items()) if isinstance(data, dict) else list(data or [])
        if not any(name == "csrf_token" for name, _ in pairs):
            pairs.append(("csrf_token", self.token()))
        return self.client.post(path, data=_multidict(pairs), **kwargs)

    def text(self, path: str) -> str:
        response = self.get(path)
        assert response.status_code == 200, response.status_code
        return response.get_data(as_text=True)


def _multidict(pairs: Iterable[tuple[str, Any]]):  # type: ignore[no-untyped-def]
    from werkzeug.datastructures import MultiDict

    return MultiDict(pairs)


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """scrypt at a low cost: production's cost is what slows guessing, tests only need the
    same code path (the hash names its parameters, so checking stays the real function)."""
    monkeypatch.setattr(
        accounts,
        "hash_password",
        lambda password: generate_password_hash(password, "scrypt:1024:8:1"),
    )


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A browser that asks for English, the back office's second language (French, the
    default, is checked on its own in test_home)."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def make_organization(app: Flask) -> Callable[..., Organization]:
    counter = iter(range(1, 10_000))

    def factory(name: str | None = None) -> Organization:
        data = operations.OrganizationData(name=name or f"Association {next(counter)}")
        return operations.create_organization(db.session, "test", data)

    return factory


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    counter = iter(range(1, 10_000))

    def factory(
        email: str | None = None,
        role: UserRole = UserRole.EDITOR,
        organizations: Iterable[Organization] = (),
        all_organizations: bool = False,
        password: str = PASSWORD,
    ) -> User:
        data = accounts.AccountData(
            email or f"person{next(counter)}@example.org",
            role,
            [o.id for o in organizations],
            all_organizations,
        )
        return accounts.create_user(db.session, "test", data, password)

    return factory


@pytest.fixture
def admin(client: FlaskClient, make_user: Callable[..., User]) -> AdminClient:
    """Signed in as an administrator."""
    user = make_user("admin@example.org", UserRole.ADMIN)
    browser = AdminClient(client)
    assert browser.login(user.email).status_code == 303
    return browser


@pytest.fixture
def editor_setup(
    client: FlaskClient, make_user: Callable[..., User], make_service: Callable[..., Service]
) -> tuple[AdminClient, Service, Service]:
    """Signed in as an editor of one organisation: (client, their service, another's)."""
    own = make_service("Repas du cœur")
    other = make_service("Douches municipales")
    user = make_user("editor@example.org", organizations=[own.organization])
    browser = AdminClient(client)
    assert browser.login(user.email).status_code == 303
    return browser, own, other


def form_of(service: Service, locales: Iterable[str] = ("fr", "en")) -> dict[str, Any]:
    """The edit form's fields as the page fills them, ready to change and post back."""
    from wtforms import BooleanField, FieldList, FormField, SelectField, SelectMultipleField

    from gateway.admin.forms import ServiceForm

    def inputs(fields: Iterable[Any]) -> Iterable[tuple[str, Any]]:
        for field in fields:
            if isinstance(field, FormField):
                yield from inputs(field.form)
            elif isinstance(field, FieldList):
                yield from inputs(field.entries)
            elif isinstance(field, SelectMultipleField):
                yield field.name, list(field.data or [])
            elif isinstance(field, BooleanField):
                if field.data:
                    yield field.name, "on"
            elif isinstance(field, SelectField):
                yield field.name, field.data or ""
            else:
                yield field.name, field._value()

    form = ServiceForm.for_service(operations.ServiceData.of(service), list(locales), {})
    return dict(inputs(form))


def as_pairs(fields: dict[str, Any]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for name, value in fields.items():
        if isinstance(value, list):
            pairs.extend((name, item) for item in value)
        else:
            pairs.append((name, value))
    return pairs
