"""Fixtures for outbound messaging: the fake Twilio API, contacts, real Redis and RQ workers."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest
from flask import Flask
from redis import Redis

from gateway import create_app
from gateway.config import settings
from gateway.db import db
from gateway.models import Contact
from tests.conftest import REPO_ROOT, fresh_database_url, settings_for
from tests.fakes.twilio_api import FakeTwilioApi

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "f" * 32
FROM_NUMBER = "+33261910000"
PUBLIC_BASE_URL = "https://guichet.example.org"
REDIS_SERVER = "redis://127.0.0.1:6379"
LEASE_KEY, LEASE_SECONDS = "guichet-tests:lease", 3600
GUICHET = Path(sys.executable).parent / "guichet"


def twilio_settings(api: FakeTwilioApi) -> dict[str, Any]:
    return {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": FROM_NUMBER,
        "TWILIO_API_BASE_URL": api.url,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "TWILIO_MPS": 50.0,
        "SEND_RETRY_INTERVALS": "1",
    }


@pytest.fixture
def twilio_api() -> Iterator[FakeTwilioApi]:
    with FakeTwilioApi(ACCOUNT_SID, AUTH_TOKEN) as api:
        yield api


def _committed_app(backend: str, tmp_path: Path, **extra: Any) -> Iterator[Flask]:
    """An app on a fresh database of its own, its context pushed.

    For tests that commit: jobs run after the commit in sessions of their own (or in another
    process), which the rolled-back ``app`` fixture cannot show.
    """
    url = fresh_database_url(backend, "messaging", tmp_path)
    app = create_app(settings_for(url, **extra))
    with app.app_context():
        yield app
    with app.app_context():  # the test's session is closed now, its connection back in the pool
        db.engine.dispose()


@pytest.fixture
def outbox_app(backend: str, tmp_path: Path) -> Iterator[Flask]:
    """Committed database, no Twilio credentials: messages go to the outbox, in-process."""
    yield from _committed_app(backend, tmp_path)


@pytest.fixture
def twilio_app(backend: str, tmp_path: Path, twilio_api: FakeTwilioApi) -> Iterator[Flask]:
    """Committed database, Twilio pointed at the fake; jobs run in-process."""
    yield from _committed_app(backend, tmp_path, **twilio_settings(twilio_api))


_numbers = itertools.count(10_000_000)


def new_contact(**fields: Any) -> Contact:
    """A stored contact in the current app's session; ``fields`` set e.g. ``opted_out_at``."""
    contact = Contact(phone_hash=f"test-{next(_numbers)}", country_code="33", **fields)
    db.session.add(contact)
    db.session.flush()
    return contact


@pytest.fixture(scope="session")
def redis_db() -> Iterator[int]:
    """A database of the shared Redis server leased for this test session.

    Test runs of several engineers meet on one server; sharing a database would let one run's
    worker take another run's jobs. The lease is a key set only if absent, renewed per test.
    """
    for number in range(15, 0, -1):
        client = Redis.from_url(f"{REDIS_SERVER}/{number}")
        if client.set(LEASE_KEY, os.getpid(), nx=True, ex=LEASE_SECONDS):
            try:
                yield number
            finally:
                client.flushdb()
                client.close()
            return
        client.close()
    raise RuntimeError(f"every Redis database of {REDIS_SERVER} is leased by another test run")


@pytest.fixture
def redis_url(redis_db: int) -> Iterator[str]:
    """The leased database, empty at the start of the test."""
    url = f"{REDIS_SERVER}/{redis_db}"
    client = Redis.from_url(url)
    with client.pipeline() as atomically:  # no moment without the lease
        atomically.flushdb().set(LEASE_KEY, os.getpid(), ex=LEASE_SECONDS).execute()
    try:
        yield url
    finally:
        client.close()


class WorkerSetup:
    """A committed database, the app the test queues with, and ``guichet worker`` runs."""

    def __init__(self, app: Flask, settings: dict[str, Any]) -> None:
        self.app = app
        self.env = {"PATH": os.environ["PATH"]} | {
            name: str(value) for name, value in settings.items() if value is not None
        }

    def start(
        self, *args: str, output: IO[bytes] | int = subprocess.PIPE
    ) -> subprocess.Popen[bytes]:
        """``guichet *args`` in its own session, as a deployment would run it; its output, to
        ``output`` (a pipe unless told: a process that runs long writes to a file)."""
        return subprocess.Popen(
            [GUICHET, *args],
            cwd=REPO_ROOT,
            env=self.env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start_worker(self, burst: bool = True) -> subprocess.Popen[bytes]:
        """``guichet worker --burst`` (it stops once the queues are empty), or a lasting
        ``guichet worker``."""
        return self.start("worker", *(["--burst"] if burst else []))

    def run_worker(self) -> str:
        """Run a burst worker to the end; return its log."""
        process = self.start_worker()
        output, _ = process.communicate(timeout=60)
        log = output.decode()
        assert process.returncode == 0, log
        return log


@pytest.fixture
def worker_setup(
    backend: str, tmp_path: Path, twilio_api: FakeTwilioApi, redis_url: str
) -> Iterator[WorkerSetup]:
    """Committed database, jobs on real Redis, Twilio pointed at the fake."""
    overrides = {"REDIS_URL": redis_url, **twilio_settings(twilio_api)}
    for app in _committed_app(backend, tmp_path, **overrides):
        yield WorkerSetup(app, settings_for(settings(app).database_url, **overrides))
