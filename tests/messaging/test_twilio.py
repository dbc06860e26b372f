"""Sending through the real twilio client to the local fake of Twilio's Messages API."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import update
from twilio.rest import Client

from gateway.db import db
from gateway.messaging import provider
from gateway.messaging.jobs import reconcile_message, send_message
from gateway.messaging.outbox import queue_send
from gateway.models import Contact, Message, MessageKind, MessageStatus
from tests.fakes.twilio_api import (
    DROP,
    SERVER_ERROR,
    TOO_MANY_REQUESTS,
    FakeTwilioApi,
    Outcome,
    Reject,
)
from tests.messaging.conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM_NUMBER,
    PUBLIC_BASE_URL,
    new_contact,
)

NUMBER = "+33612345678"
BODY = "Permanence d’accès aux droits : mardi 14 h, 3 place de la Mairie. Tél. 02 61 91 00 12"


def queue_and_commit(to: str = NUMBER, body: str = BODY) -> Message:
    session = db.session
    message = queue_send(
        session,
        to_number=to,
        body=body,
        kind=MessageKind.HANDOFF,
        locale="fr",
        contact=new_contact(),
    ).message
    session.commit()  # the job runs now, in-process
    session.refresh(message)
    return message


def test_twilio_receives_the_message_once(twilio_app: Flask, twilio_api: FakeTwilioApi) -> None:
    message = queue_and_commit()

    [request] = twilio_api.received
    assert request.authorized
    assert request.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert request.form == {
        "To": NUMBER,
        "From": FROM_NUMBER,
        "Body": message.body,
        "StatusCallback": f"{PUBLIC_BASE_URL}/sms/status",
    }
    [created] = twilio_api.created
    assert (message.status, message.provider_sid, message.attempts) == (
        MessageStatus.SENT,
        created["sid"],
        1,
    )
    assert message.to_number == NUMBER, "kept until a final status arrives"
    assert int(created["num_segments"]) == message.segments == 1
    assert message.body and "’" not in message.body

    send_message(message.id)  # a duplicate job
    assert len(twilio_api.received) == 1


@pytest.mark.parametrize(
    ("code", "status"),
    [(21211, MessageStatus.REFUSED), (21614, MessageStatus.REFUSED), (21606, MessageStatus.FAILED)],
)
def test_permanent_refusals_are_not_retried(
    twilio_app: Flask, twilio_api: FakeTwilioApi, code: int, status: MessageStatus
) -> None:
    twilio_api.program(NUMBER, Reject(code))
    message = queue_and_commit()
    assert (message.status, message.error_code, message.to_number) == (status, code, None)
    send_message(message.id)
    assert len(twilio_api.received) == 1 and twilio_api.created == []


@pytest.mark.parametrize(
    ("outcome", "level", "status", "error_code"),
    [(None, "INFO", "sent", None), (Reject(21211), "WARNING", "refused", 21211)],
)
def test_a_send_s_outcome_is_one_line_without_number_or_words(
    twilio_app: Flask,
    twilio_api: FakeTwilioApi,
    caplog: pytest.LogCaptureFixture,
    outcome: Outcome | None,
    level: str,
    status: str,
    error_code: int | None,
) -> None:
    if outcome is not None:
        twilio_api.program(NUMBER, outcome)
    with caplog.at_level(logging.INFO, logger="gateway.messaging.jobs"):
        message = queue_and_commit()
    [record] = [r for r in caplog.records if r.name == "gateway.messaging.jobs"]
    assert (record.levelname, record.getMessage().split(":")[0]) == (
        level,
        f"message {message.id} {status}",
    )
    assert (record.kind, record.error_code) == ("handoff", error_code)  # type: ignore[attr-defined]
    logged = " ".join([record.getMessage(), *map(str, vars(record).values())])
    assert NUMBER not in logged and NUMBER[3:] not in logged and "Mairie" not in logged


def test_unsubscribed_recipient_opts_the_contact_out(
    twilio_app: Flask, twilio_api: FakeTwilioApi
) -> None:
    twilio_api.program(NUMBER, Reject(21610))
    message = queue_and_commit()
    assert (message.status, message.error_code) == (MessageStatus.REFUSED, 21610)
    contact = db.session.get_one(Contact, message.contact_id)
    db.session.refresh(contact)
    assert contact.opted_out_at is not None and contact.phone_number is None


@pytest.mark.parametrize("failure", [SERVER_ERROR, TOO_MANY_REQUESTS, DROP])
def test_transient_failure_with_no_retry_left_is_failed(
    twilio_app: Flask, twilio_api: FakeTwilioApi, failure: Outcome
) -> None:
    twilio_api.program(NUMBER, failure)
    message = queue_and_commit()  # in-process: one attempt, no retry
    assert (message.status, message.attempts, message.to_number) == (
        MessageStatus.FAILED,
        1,
        None,
    )
    assert message.error_code == (None if failure == DROP else failure.code)  # type: ignore[union-attr]


def test_wrong_credentials_fail_without_retry(twilio_app: Flask, twilio_api: FakeTwilioApi) -> None:
    twilio_api.auth_token = "0" * 32
    message = queue_and_commit()
    assert (message.status, message.error_code) == (MessageStatus.FAILED, 20003)
    assert not twilio_api.received[0].authorized


def test_outbox_chosen_explicitly_keeps_messages_in_despite_credentials(
    backend, tmp_path, twilio_api: FakeTwilioApi
) -> None:
    from tests.messaging.conftest import _committed_app, twilio_settings

    for _app in _committed_app(
        backend, tmp_path, SMS_PROVIDER="outbox", **twilio_settings(twilio_api)
    ):
        message = queue_and_commit()
        assert message.status is MessageStatus.SENT
        assert message.provider_sid.startswith("OUTBOX")
    assert twilio_api.received == []


def left_sending(message: Message, minutes_ago: int = 10) -> None:
    """Put ``message`` back as a worker that died mid-send left it, ``minutes_ago``."""
    session = db.session
    session.execute(
        update(Message)
        .where(Message.id == message.id)
        .values(
            status=MessageStatus.SENDING,
            provider_sid=None,
            sent_at=None,
            updated_at=datetime.now(UTC) - timedelta(minutes=minutes_ago),
        )
    )
    session.commit()


def test_reconciling_finds_the_message_twilio_holds(
    twilio_app: Flask, twilio_api: FakeTwilioApi
) -> None:
    earlier = queue_and_commit()  # the same text, sent and recorded before
    message = queue_and_commit()
    [_, lost] = twilio_api.created
    left_sending(message)  # its SENT was never recorded

    status = reconcile_message(message.id, datetime.now(UTC) - timedelta(minutes=2))

    db.session.refresh(message)
    assert status is MessageStatus.SENT
    assert (message.status, message.provider_sid) == (MessageStatus.SENT, lost["sid"])
    assert earlier.provider_sid != lost["sid"], "a message another row owns is not this one"
    assert len(twilio_api.posts()) == 2


def test_reconciling_sends_what_twilio_does_not_hold(
    twilio_app: Flask, twilio_api: FakeTwilioApi
) -> None:
    other = queue_and_commit(body="Restos du Coeur, 12 rue des Tanneurs")
    message = queue_and_commit()
    twilio_api.created.remove(twilio_api.sent_to(NUMBER)[1])  # Twilio never took this one
    left_sending(message)

    reconcile_message(message.id, datetime.now(UTC) - timedelta(minutes=2))

    db.session.refresh(message)
    [_, resent] = twilio_api.created
    assert (message.status, message.provider_sid, message.attempts) == (
        MessageStatus.SENT,
        resent["sid"],
        2,
    )
    assert resent["body"] == message.body != other.body
    assert len(twilio_api.posts()) == 3


def test_a_recent_attempt_is_not_reconciled(twilio_app: Flask, twilio_api: FakeTwilioApi) -> None:
    message = queue_and_commit()
    left_sending(message, minutes_ago=0)  # a send may still be under way
    assert reconcile_message(message.id, datetime.now(UTC) - timedelta(minutes=2)) is None
    db.session.refresh(message)
    assert message.status is MessageStatus.SENDING
    assert [request.method for request in twilio_api.received] == ["POST"]


def test_twilio_unreachable_leaves_the_row_for_the_next_sweep(
    twilio_app: Flask, twilio_api: FakeTwilioApi, caplog: pytest.LogCaptureFixture
) -> None:
    message = queue_and_commit()
    left_sending(message)
    twilio_api.auth_token = "0" * 32  # Twilio refuses the lookup
    with caplog.at_level(logging.WARNING, logger="gateway.messaging.jobs"):
        assert reconcile_message(message.id, datetime.now(UTC) - timedelta(minutes=2)) is None
    [line] = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert "not reconciled" in line and NUMBER[3:] not in line  # the lookup's URL holds it
    db.session.refresh(message)
    assert message.status is MessageStatus.SENDING
    assert len(twilio_api.posts()) == 1


def test_a_lookup_that_cannot_reach_twilio_logs_no_number(
    twilio_app: Flask, twilio_api: FakeTwilioApi, caplog: pytest.LogCaptureFixture, change_settings
) -> None:
    """The lookup's URL holds the number in its query, and the network error quotes it."""
    message = queue_and_commit()
    left_sending(message)
    change_settings(twilio_app, twilio_api_base_url="http://127.0.0.1:9")  # nothing listens there
    twilio_app.extensions.pop(provider._EXTENSION_KEY)
    with caplog.at_level(logging.WARNING, logger="gateway.messaging.jobs"):
        assert reconcile_message(message.id, datetime.now(UTC) - timedelta(minutes=2)) is None
    [record] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert NUMBER[3:] not in " ".join([record.getMessage(), *map(str, vars(record).values())])
    assert "Twilio unreachable: ConnectionError" in record.getMessage()


def test_the_fake_pages_its_list_as_twilio_does(twilio_api: FakeTwilioApi) -> None:
    """The twilio library follows the fake's ``next_page_uri`` through every page."""
    client = Client(ACCOUNT_SID, AUTH_TOKEN, environment={"TWILIO_EDGE": "", "TWILIO_REGION": ""})
    client.api.base_url = twilio_api.url
    for number in (NUMBER, NUMBER, NUMBER, "+33600000000"):
        client.messages.create(to=number, from_=FROM_NUMBER, body="Rappel : lundi 9 h")
    yesterday = datetime.now(UTC) - timedelta(days=1)

    listed = client.messages.list(
        to=NUMBER, from_=FROM_NUMBER, date_sent_after=yesterday, page_size=2
    )
    assert sorted(m.sid for m in listed) == sorted(m["sid"] for m in twilio_api.sent_to(NUMBER))
    assert {(m.status, m.to) for m in listed} == {("sent", NUMBER)}
    gets = [r for r in twilio_api.received if r.method == "GET"]
    assert [r.form.get("Page", "0") for r in gets] == ["0", "1"]
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    assert client.messages.list(to=NUMBER, date_sent_after=tomorrow) == []
