"""Five deliveries of one "#" webhook at the same moment: one text message, four "already sent"."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from gateway import create_app
from gateway.cli import DEMO_SERVICES, import_hsds_path
from gateway.db import db
from gateway.models import Message, MessageKind, MessageStatus
from tests.conftest import fresh_database_url, settings_for
from tests.fakes.twilio_api import FakeTwilioApi
from tests.voice.conftest import Caller, new_number, voice_settings_for
from tests.voice.test_handoff_limits import ALREADY_SENT, SENDING, open_place

# Both databases: each locks and refuses the racing deliveries its own way.
pytestmark = pytest.mark.backends("sqlite", "postgresql")

DELIVERIES = 5


@pytest.fixture
def committed_voice_app(backend: str, tmp_path: Path, twilio_api: FakeTwilioApi) -> Iterator[Flask]:
    """The demo city in a database of its own that requests really commit to, each in its own
    session (on PostgreSQL, each on its own connection)."""
    url = fresh_database_url(backend, "voice_race", tmp_path)
    app = create_app(settings_for(url, **voice_settings_for(twilio_api)))
    with app.app_context():
        import_hsds_path(DEMO_SERVICES)
    yield app
    with app.app_context():
        db.engine.dispose()


def test_simultaneous_deliveries_of_one_hash_send_once(
    committed_voice_app: Flask, twilio_api: FakeTwilioApi, clock
) -> None:
    caller = Caller(committed_voice_app.test_client(), new_number())
    with committed_voice_app.app_context():  # each answer is checked against the app's voices
        caller.dial()
        caller.press("2")  # English
        action = open_place(caller, 1).gather.get("action", "")
    start = threading.Barrier(DELIVERIES)
    heard: list[str] = []

    def deliver() -> None:
        # The same signed request, each delivery on a client (and a session) of its own.
        twin = dataclasses.replace(caller, client=committed_voice_app.test_client(), answers=[])
        with committed_voice_app.app_context():
            start.wait()
            heard.append(twin.press_at(action, "#").says()[0].text)

    threads = [threading.Thread(target=deliver) for _ in range(DELIVERIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(heard) == sorted([SENDING] + [ALREADY_SENT] * (DELIVERIES - 1)), heard
    with committed_voice_app.app_context():
        rows = db.session.scalars(select(Message).where(Message.kind == MessageKind.HANDOFF)).all()
    assert [row.status for row in rows] == [MessageStatus.SENT]
    assert len(twilio_api.sent_to(caller.number)) == 1
