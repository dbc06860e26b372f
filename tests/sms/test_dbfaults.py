"""A bad day for the database: Twilio hears a fast 503 and its retry gets the answer.

Twilio gives up on a webhook after 15 s and then calls the number's fallback URL, or retries:
a database that refuses or never answers must cost a quick 503 (never a 500, never a hang), and
a message that was stored but whose answering failed is answered when Twilio delivers it
again, once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, func, select, text

from gateway import create_app
from gateway.db import db
from gateway.models import Contact, Direction, Message, MessageKind
from tests.conftest import fresh_database_url, settings_for
from tests.fakes.silent_server import refused_port, silent_server
from tests.sms.conftest import PUBLIC_BASE_URL, read_twiml, sign, sms_settings, twilio_form

NUMBER = "+33612345678"


def _app(database_url: str, **extra: Any) -> Flask:
    # A server's answer to an unhandled error, not the exception itself: a 500 is what
    # Twilio would get.
    settings = settings_for(database_url, **sms_settings(**extra), PROPAGATE_EXCEPTIONS=False)
    return create_app(settings)


def _deliver(app: Flask, form: dict[str, str], within: float = 20) -> Any:
    """Post a signed inbound SMS webhook; fail, instead of hanging, if it is never answered."""
    answers: list[Any] = []
    headers = {"X-Twilio-Signature": sign(PUBLIC_BASE_URL + "/sms", form)}

    def post() -> None:
        answers.append(app.test_client().post("/sms", data=form, headers=headers))

    posting = threading.Thread(target=post, daemon=True)
    posting.start()
    posting.join(timeout=within)
    assert answers, f"the webhook got no answer within {within} s"
    return answers[0]


def test_a_database_that_never_answers_costs_a_503_not_a_hang() -> None:
    with silent_server() as port:
        app = _app(f"postgresql://nobody@127.0.0.1:{port}/none")
        response = _deliver(app, twilio_form(NUMBER, "AIDE"), within=10)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"


def test_a_refused_database_costs_a_503_not_a_500(caplog: pytest.LogCaptureFixture) -> None:
    app = _app(f"postgresql://nobody@127.0.0.1:{refused_port()}/none")
    response = _deliver(app, twilio_form(NUMBER, "je dors dehors"))
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    # One line for the operator, with neither the number nor the words.
    [line] = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert line == "database unavailable (OperationalError): POST /sms answered 503"


@pytest.fixture
def pg_url(tmp_path: Path) -> str:
    return fresh_database_url("postgresql", "sms_faults", tmp_path)


@pytest.fixture
def pg_app(pg_url: str) -> Iterator[Flask]:
    """A PostgreSQL database of its own that requests really commit to; statements that wait
    a second give up."""
    app = _app(pg_url, DATABASE_STATEMENT_TIMEOUT=1.0)
    yield app
    with app.app_context():
        db.engine.dispose()


def _stored(app: Flask) -> tuple[list[Message], list[Message]]:
    with app.app_context():
        messages = db.session.scalars(select(Message).order_by(Message.id)).all()
    inbound = [m for m in messages if m.direction is Direction.INBOUND]
    answers = [m for m in messages if m.kind is MessageKind.REPLY]
    return inbound, answers


def test_a_message_stored_but_not_answered_is_answered_on_twilios_retry(
    pg_app: Flask, pg_url: str
) -> None:
    first = _deliver(pg_app, twilio_form(NUMBER, "AIDE"))
    assert first.status_code == 200
    # Another connection holds the resident's conversation: the message is stored, then its
    # answer cannot be saved before the statement timeout.
    holder = create_engine(pg_url)
    with holder.connect() as connection:
        connection.execute(text("SELECT * FROM conversation_states FOR UPDATE"))
        form = twilio_form(NUMBER, "manger")
        failed = _deliver(pg_app, form)
        connection.rollback()
    holder.dispose()
    assert failed.status_code == 503
    inbound, answers = _stored(pg_app)
    assert [m.body for m in inbound] == ["AIDE", "manger"] and len(answers) == 1

    retried = _deliver(pg_app, form)
    assert retried.status_code == 200
    answer = read_twiml(retried.get_data()).text
    assert answer
    again = _deliver(pg_app, form)
    assert read_twiml(again.get_data()).text == answer
    inbound, answers = _stored(pg_app)
    assert len(inbound) == 2
    assert [(a.in_reply_to_id, a.body) for a in answers[1:]] == [(inbound[1].id, answer)]


def test_a_message_on_a_connection_the_database_dropped_is_answered_once(
    pg_app: Flask, pg_url: str
) -> None:
    assert _deliver(pg_app, twilio_form(NUMBER, "AIDE")).status_code == 200
    with pg_app.app_context():  # the one connection the requests have used, back in the pool
        pid = db.session.connection().exec_driver_sql("SELECT pg_backend_pid()").scalar()
        db.session.rollback()
    # The database drops it (a restart, a proxy's idle timeout): the next message finds out.
    killer = create_engine(pg_url)
    with killer.connect() as connection:
        assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    killer.dispose()
    response = _deliver(pg_app, twilio_form(NUMBER, "manger"))
    assert response.status_code == 200
    assert read_twiml(response.get_data()).text
    inbound, answers = _stored(pg_app)
    assert [m.body for m in inbound] == ["AIDE", "manger"]
    assert [a.in_reply_to_id for a in answers] == [m.id for m in inbound]


@pytest.mark.parametrize("count", [2, 4])
def test_different_messages_at_once_from_a_new_number_are_all_answered(
    pg_app: Flask, count: int
) -> None:
    words = ["AIDE", "manger", "dormir", "soigner"][:count]
    start = threading.Barrier(count)
    statuses: dict[str, tuple[int, str | None]] = {}

    def deliver(body: str) -> Callable[[], None]:
        form = twilio_form(NUMBER, body)
        headers = {"X-Twilio-Signature": sign(PUBLIC_BASE_URL + "/sms", form)}

        def post() -> None:
            client = pg_app.test_client()
            start.wait()
            response = client.post("/sms", data=form, headers=headers)
            answer = read_twiml(response.get_data()).text if response.status_code == 200 else None
            statuses[body] = (response.status_code, answer)

        return post

    threads = [threading.Thread(target=deliver(body)) for body in words]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert {body: status for body, (status, _answer) in statuses.items()} == dict.fromkeys(
        words, 200
    )
    assert all(answer for _status, answer in statuses.values()), statuses
    inbound, answers = _stored(pg_app)
    assert sorted(m.body or "" for m in inbound) == sorted(words)
    assert sorted(a.in_reply_to_id or 0 for a in answers) == sorted(m.id for m in inbound)
    with pg_app.app_context():
        assert db.session.scalar(select(func.count(Contact.id))) == 1
