"""Two deliveries of one message at the same moment: it is stored once and answered once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from gateway import create_app
from gateway.db import db
from gateway.messaging import inbound as pipeline
from gateway.models import Contact, Direction, Message
from tests.conftest import fresh_database_url, settings_for
from tests.sms.conftest import PUBLIC_BASE_URL, read_twiml, sign, sms_settings, twilio_form

# Both databases: each locks and refuses the second delivery its own way.
pytestmark = pytest.mark.backends("sqlite", "postgresql")

NUMBER = "+33612345678"


@pytest.fixture
def committed_app(backend: str, tmp_path: Path) -> Iterator[Flask]:
    """A database of its own that requests really commit to, each in its own session."""
    url = fresh_database_url(backend, "sms_race", tmp_path)
    app = create_app(settings_for(url, **sms_settings()))
    yield app
    with app.app_context():
        db.engine.dispose()


def test_simultaneous_deliveries_answer_once(committed_app: Flask, monkeypatch) -> None:
    engine_runs = []
    answer = pipeline.handle

    def slow_engine(inbound, contact):  # type: ignore[no-untyped-def]
        # Hold the first delivery in the engine, its message committed, while the second
        # one arrives: the second must not answer too.
        engine_runs.append(inbound)
        time.sleep(0.5)
        return answer(inbound, contact)

    monkeypatch.setattr(pipeline, "handle", slow_engine)
    form = twilio_form(NUMBER, "AIDE")
    headers = {"X-Twilio-Signature": sign(PUBLIC_BASE_URL + "/sms", form)}
    start = threading.Barrier(2)
    outcomes: list[tuple[int, str | None]] = []

    def deliver() -> None:
        client = committed_app.test_client()
        start.wait()
        try:
            response = client.post("/sms", data=form, headers=headers)
        except OperationalError:  # TESTING lets the server's error through
            outcomes.append((500, None))
            return
        text = read_twiml(response.get_data()).text if response.status_code == 200 else None
        outcomes.append((response.status_code, text))

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert [status for status, _text in outcomes] == [200, 200], outcomes
    # The engine ran once. The other delivery got nothing (it came while the answer was being
    # made) or the stored answer itself (it waited for the first to finish): never a second one.
    assert len(engine_runs) == 1
    texts = sorted((text or "" for _status, text in outcomes), key=len)
    assert texts[1] and texts[0] in ("", texts[1]), outcomes
    with committed_app.app_context():
        directions = db.session.scalars(select(Message.direction)).all()
        contacts = db.session.scalar(select(func.count(Contact.id)))
    assert sorted(directions) == [Direction.INBOUND, Direction.OUTBOUND] and contacts == 1
