"""Queued sends that no request can multiply: once per key, a few per scope, the number's hour."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import func, select

from gateway.config import ConfigError, load_settings, settings
from gateway.db import db
from gateway.messaging import limits
from gateway.messaging.outbox import Once, Outcome, queue_send
from gateway.models import Contact, Direction, Message, MessageKind, MessageStatus
from tests.messaging.conftest import new_contact

NUMBER = "+33612345678"


def send(session, contact: Contact, once: Once | None = None, **fields):  # type: ignore[no-untyped-def]
    options = {"to_number": NUMBER, "kind": MessageKind.HANDOFF, "locale": "fr"} | fields
    return queue_send(
        session, body="Épicerie solidaire, lundi 9 h", contact=contact, once=once, **options
    )


def test_one_key_is_sent_once_and_a_scope_a_few_times(session) -> None:
    contact = new_contact()
    first = send(session, contact, Once("handoff:CA1", "food-1", limit=2))
    again = send(session, contact, Once("handoff:CA1", "food-1", limit=2))
    assert (first.outcome, again.outcome) == (Outcome.QUEUED, Outcome.DUPLICATE)
    assert again.message.id == first.message.id and first.message.dedupe_key == "handoff:CA1:food-1"
    assert send(session, contact, Once("handoff:CA1", "food-2", limit=2)).outcome is Outcome.QUEUED
    full = send(session, contact, Once("handoff:CA1", "food-3", limit=2))
    assert full.outcome is Outcome.SCOPE_FULL
    assert (full.message.status, full.message.dedupe_key, full.message.to_number) == (
        MessageStatus.REFUSED,
        None,
        None,
    )
    # Another call is another scope; a prefix of the scope is not the scope.
    assert send(session, contact, Once("handoff:CA2", "food-1", limit=2)).outcome is Outcome.QUEUED
    assert send(session, contact, Once("handoff:CA", "food-1", limit=2)).outcome is Outcome.QUEUED


def test_queued_messages_count_in_the_numbers_hour(app: Flask, session, change_settings) -> None:
    change_settings(app, sms_rate_limit_per_hour=3)
    contact = new_contact()
    session.add(
        Message(
            direction=Direction.OUTBOUND,
            kind=MessageKind.REPLY,
            contact_id=contact.id,
            status=MessageStatus.ANSWERED,
            segments=1,
            created_at=datetime.now(UTC),
        )
    )
    assert send(session, contact).outcome is Outcome.QUEUED
    assert send(session, contact, kind=MessageKind.ALERT).outcome is Outcome.QUEUED
    assert send(session, contact, kind=MessageKind.CONFIRMATION).outcome is Outcome.HOURLY_LIMIT
    # Refusals do not count; the SMS channel's next answer is the notice.
    hourly = settings(app).sms_rate_limit_per_hour
    assert limits.gate(session, contact.id, datetime.now(UTC), hourly) is limits.Gate.NOTICE


def test_a_concurrent_request_for_the_same_key_finds_the_first(outbox_app: Flask) -> None:
    contact = new_contact()
    db.session.commit()
    once = Once("handoff:CA9", "food-1")
    first = send(db.session, contact, once)  # stored, not committed yet
    assert first.outcome is Outcome.QUEUED
    second: list[Outcome] = []

    def other_request() -> None:
        with outbox_app.app_context():
            other = db.session.get(Contact, contact.id)
            second.append(send(db.session, other, once).outcome)
            db.session.commit()

    thread = threading.Thread(target=other_request)
    thread.start()
    time.sleep(0.5)  # the other request checks for the key and waits on the insert meanwhile
    db.session.commit()
    thread.join(timeout=30)

    assert second == [Outcome.DUPLICATE]
    count = select(func.count(Message.id)).where(Message.kind == MessageKind.HANDOFF)
    assert db.session.scalar(count) == 1


@pytest.mark.parametrize("share", ["1.5", "-0.1"])
def test_a_queued_share_outside_zero_to_one_is_refused_at_start(tmp_path, share: str) -> None:
    with pytest.raises(ConfigError, match="QUEUED_SEGMENT_SHARE"):
        load_settings({"SECRET_KEY": "s", "QUEUED_SEGMENT_SHARE": share}, None, str(tmp_path))
