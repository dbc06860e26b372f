"""Shared fixtures: real databases (SQLite and PostgreSQL), the app, factories.

A test that reaches a database (it asks for ``backend``, itself or through ``app``,
``demo_app`` and the fixtures built on them) runs once per backend its module chooses with
``pytestmark = pytest.mark.backends(...)``; a module that chooses nothing runs on both.

Which backends: both where the database's own behaviour is what is tested (concurrency,
rate limits and daily caps, privacy and deletion, what a message costs the database, the
voice hand-off's limits and races, migrations, SQLite's locking, directory queries and
operations, the HSDS import); PostgreSQL, the production database, alone where SQL is not
the point (the channels' and the conversation's behaviour, the back office's views), since
those tests would only pass twice through the same code.

Each backend has two schemas migrated once per session: an empty directory and the demo
city. A test runs inside a transaction that is rolled back, so tests never see each other's
writes.
"""

from __future__ import annotations

import contextvars
import dataclasses
import os
from collections.abc import Callable, Iterator
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import gateway.clock
from gateway import create_app
from gateway.config import Settings, normalize_database_url, replace_settings, settings
from gateway.db import db
from gateway.migrations import upgrade

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgresql")
REPO_ROOT = Path(__file__).resolve().parent.parent
# Twilio's TwiML schema, copied into tests/data/reference (see its README for source and licence).
TWIML_XSD = REPO_ROOT / "tests" / "data" / "reference" / "twiml" / "TwiML.xsd"
# Monday 30 November 2026, 10:00 in Val-de-Lisle: most day services and the helpline are open.
MONDAY_10H = datetime(2026, 11, 30, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))


def pg_base_url() -> str:
    return normalize_database_url(os.environ.get("TEST_DATABASE_URL") or DEFAULT_PG_URL)


def _fresh_pg_schema(schema: str) -> str:
    """Drop and recreate ``schema``; return a URL whose connections use it."""
    base = pg_base_url()
    engine = create_engine(base)
    try:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # the suite needs PostgreSQL: fail loudly, never skip
        raise RuntimeError(
            f"PostgreSQL is not reachable at {make_url(base).render_as_string()}: {exc}. "
            "Start it (see .ci/run) or set TEST_DATABASE_URL."
        ) from exc
    finally:
        engine.dispose()
    return (
        make_url(base)
        .update_query_dict({"options": f"-csearch_path={schema}"})
        .render_as_string(hide_password=False)
    )


_PG_SCHEMAS: list[str] = []


def fresh_database_url(backend: str, name: str, tmp_dir: Path) -> str:
    """A migrated, empty database of ``backend`` named ``name``.

    PostgreSQL schemas carry the process id, so that two test runs on one server never
    drop each other's tables; they are dropped when the session ends.
    """
    if backend == "sqlite":
        url = f"sqlite:///{tmp_dir / (name + '.sqlite3')}"
    else:
        schema = f"guichet_{name}_{os.getpid()}"
        url = _fresh_pg_schema(schema)
        _PG_SCHEMAS.append(schema)
    upgrade(url)
    return url


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not _PG_SCHEMAS:
        return
    engine = create_engine(pg_base_url())
    with engine.begin() as connection:
        for schema in _PG_SCHEMAS:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


def _catalog(locale: str):  # type: ignore[no-untyped-def]
    from babel.support import Translations

    from gateway.i18n import TRANSLATIONS_DIR, compile_catalogs

    compile_catalogs()
    return Translations.load(str(TRANSLATIONS_DIR), [locale])


def translated(msgid: str, locale: str = "fr", **values: object) -> str:
    """``msgid`` as the catalog of ``locale`` has it: tests name the English source string and
    compare with what a resident of that language really gets."""
    text = _catalog(locale).gettext(msgid)
    return text % values if values else text


def translated_count(singular: str, plural: str, num: int, locale: str = "fr") -> str:
    """The catalog's form of a count phrase ("%(num)s segments") for ``num`` in ``locale``."""
    return _catalog(locale).ngettext(singular, plural, num) % {"num": num}


def settings_for(database_url: str, **extra: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "PHONE_HASH_KEY": "test-phone-key",
        "REDIS_URL": None,
        "PUBLIC_BASE_URL": None,
    }
    settings.update(extra)
    return settings


class Clock:
    """The app's time (:func:`gateway.clock.now`), held still until the test moves it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
        self.now = moment
        monkeypatch.setattr(gateway.clock, "now", lambda: self.now)

    def set(self, moment: datetime) -> None:
        self.now = moment

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The one way to freeze time: every "now" of the app is :data:`MONDAY_10H` until the
    test sets or advances it."""
    return Clock(monkeypatch, MONDAY_10H)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run each test that reaches a database on the backends of its ``backends`` marker."""
    if "backend" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("backends")
    names = marker.args if marker else BACKENDS
    unknown = set(names) - set(BACKENDS)
    assert names and not unknown, f"backends({', '.join(names)}): choose among {BACKENDS}"
    metafunc.parametrize("backend", names, indirect=True, scope="session")


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend of this test (see the module's docstring for which)."""
    return str(request.param)


@pytest.fixture(scope="session")
def empty_database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    return fresh_database_url(backend, "empty", tmp_path_factory.mktemp(backend))


@pytest.fixture(scope="session")
def demo_database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    from gateway.cli import DEMO_SERVICES, import_hsds_path

    url = fresh_database_url(backend, "demo", tmp_path_factory.mktemp(backend))
    app = create_app(settings_for(url))
    with app.app_context():
        import_hsds_path(DEMO_SERVICES)
    db_engine_dispose(app)
    return url


def db_engine_dispose(app: Flask) -> None:
    with app.app_context():
        db.engine.dispose()


class FreshContextClient(FlaskClient):
    """Each request in an app context of its own (its own ``g`` and session), as in
    production. The rolled-back apps keep one context pushed for the whole test, which a
    request would otherwise share with the test and with the requests before it: Babel's
    locale and the form token would leak from one request to the next.

    The test is then one more client of the database: what it set up is flushed before the
    request, and what it holds is expired after, so it reads what the request wrote."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        if has_app_context():
            db.session.flush()
        response = contextvars.Context().run(FlaskClient.open, self, *args, **kwargs)
        if has_app_context():
            db.session.expire_all()
        return response


def _rolled_back_app(database_url: str, **extra: Any) -> Iterator[Flask]:
    """An app whose every session joins one outer transaction, rolled back at the end."""
    app = create_app(settings_for(database_url, **extra))
    app.test_client_class = FreshContextClient
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        db.sessionmaker.configure(bind=connection, join_transaction_mode="create_savepoint")
        try:
            yield app
        finally:
            outer.rollback()
            connection.close()
            db.engine.dispose()


@pytest.fixture
def app(empty_database_url: str) -> Iterator[Flask]:
    """The app on an empty, migrated directory (the fixed categories only)."""
    yield from _rolled_back_app(empty_database_url)


@pytest.fixture
def demo_app(demo_database_url: str) -> Iterator[Flask]:
    """The app on the demo city."""
    yield from _rolled_back_app(demo_database_url)


@pytest.fixture
def plain_app(tmp_path: Path) -> Iterator[Flask]:
    """An app for code that needs a context (Babel, config) but no database."""
    app = create_app(settings_for(f"sqlite:///{tmp_path / 'unused.sqlite3'}"))
    with app.app_context():
        yield app


@pytest.fixture
def change_settings() -> Iterator[Callable[..., Settings]]:
    """``change_settings(app, daily_segment_cap=4)``: ``app`` runs on these values (attribute
    names of :class:`~gateway.config.Settings`, typed values) until the test ends, when the
    settings it had are put back. The settings are frozen, as in production: this is the one
    way a test changes them."""
    changed: list[tuple[Flask, Settings]] = []

    def change(app: Flask, **values: Any) -> Settings:
        changed.append((app, settings(app)))
        replace_settings(app, dataclasses.replace(settings(app), **values))
        return settings(app)

    yield change
    for app, before in reversed(changed):
        replace_settings(app, before)


@pytest.fixture
def session(app: Flask):  # type: ignore[no-untyped-def]
    return db.session


@pytest.fixture
def client(app: Flask):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def make_service(app: Flask) -> Callable[..., Any]:
    """Factory: a listed service with French texts, one place, and optional hours.

    ``hours`` is a list of ``(weekday, "HH:MM", "HH:MM")``; ``texts`` maps locale to a dict
    of text fields; anything else is set on the service.
    """
    from gateway.directory.operations import bump_directory_version
    from gateway.models import (
        Category,
        Location,
        Organization,
        Schedule,
        Service,
        ServiceLocation,
        ServiceText,
    )

    counter = iter(range(1, 10_000))

    def factory(
        name: str = "Service",
        categories: tuple[str, ...] = ("food",),
        hours: list[tuple[int, str, str]] | None = None,
        texts: dict[str, dict[str, str]] | None = None,
        postcode: str = "45100",
        district: str = "Centre-ville",
        latitude: float | None = 47.9,
        longitude: float | None = 1.9,
        organization: Organization | None = None,
        **fields: Any,
    ) -> Service:
        n = next(counter)
        session = db.session
        if organization is None:
            organization = Organization(name=f"Organisation {n}", description="")
            session.add(organization)
        service = Service(organization=organization, access_conditions=[], languages=["fr"])
        session.add(service)
        for key, value in fields.items():
            setattr(service, key, value)
        all_texts = {"fr": {"name": name, "summary": f"{name}, résumé."}}
        for locale, values in (texts or {}).items():
            all_texts.setdefault(locale, {}).update(values)
        service.texts = [ServiceText(locale=loc, **vals) for loc, vals in all_texts.items()]
        service.categories = [
            session.query(Category).filter_by(slug=slug).one() for slug in categories
        ]
        location = Location(
            name=f"Lieu {n}",
            address=f"{n} rue de la Paix",
            postcode=postcode,
            city="Val-de-Lisle",
            district=district,
            latitude=latitude,
            longitude=longitude,
        )
        service.locations = [ServiceLocation(location=location)]
        service.schedules = [
            Schedule(weekday=d, opens_at=time.fromisoformat(o), closes_at=time.fromisoformat(c))
            for d, o, c in (hours or [])
        ]
        session.flush()
        bump_directory_version(session, [service.id])
        return service

    return factory
