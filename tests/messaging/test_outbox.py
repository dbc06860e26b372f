"""Queueing outbound messages: a row first, sent after the commit, refused when it must be."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask

from gateway.contacts import opt_out
from gateway.db import db
from gateway.messaging import budget
from gateway.messaging.jobs import send_message
from gateway.messaging.outbox import queue_send
from gateway.models import Contact, Direction, Message, MessageKind, MessageStatus
from tests.messaging.conftest import new_contact

NUMBER = "+33612345678"


def queue(session, contact: Contact, body: str = "Votre rendez-vous : lundi 9 h", **fields):  # type: ignore[no-untyped-def]
    options = {"to_number": NUMBER, "kind": MessageKind.HANDOFF, "locale": "fr"} | fields
    return queue_send(session, body=body, contact=contact, **options).message


def test_row_first_then_sent_after_commit(outbox_app: Flask) -> None:
    session = db.session
    contact = new_contact()
    message = queue(session, contact, body="Épicerie solidaire, 12 rue de l’Église – 9 h…")
    assert (message.status, message.attempts, message.provider_sid) == (
        MessageStatus.QUEUED,
        0,
        None,
    )
    assert message.body == "Épicerie solidaire, 12 rue de l'Église - 9 h..."
    assert (message.encoding, message.segments) == ("GSM-7", 1)
    assert (message.direction, message.contact_id, message.to_number) == (
        Direction.OUTBOUND,
        contact.id,
        NUMBER,
    )

    session.commit()  # no REDIS_URL: the job runs in-process, in the outbox
    session.refresh(message)
    assert message.status == MessageStatus.SENT and message.attempts == 1
    assert message.provider_sid and message.provider_sid.startswith("OUTBOX")
    assert message.sent_at is not None


def test_nothing_is_sent_when_the_transaction_rolls_back(outbox_app: Flask) -> None:
    session = db.session
    contact = new_contact()
    session.commit()
    message_id = queue(session, contact).id
    session.rollback()
    assert session.get(Message, message_id) is None


def test_ucs2_body_is_stored_with_its_segments(session) -> None:
    message = queue(session, new_contact(), body="Їдальня: вул. Миру 12. " * 4, locale="uk")
    assert (message.encoding, message.segments) == ("UCS-2", 2)


def test_opted_out_contact_is_refused(outbox_app: Flask) -> None:
    session = db.session
    contact = new_contact(opted_out_at=datetime.now(UTC))
    message = queue(session, contact, kind=MessageKind.ALERT)
    assert message.status == MessageStatus.REFUSED and message.to_number is None
    session.commit()
    session.refresh(message)
    assert message.status == MessageStatus.REFUSED and message.attempts == 0


def test_stop_between_queue_and_send_is_honoured(outbox_app: Flask) -> None:
    session = db.session
    contact = new_contact()
    message = queue(session, contact, kind=MessageKind.ALERT)
    opt_out(contact, datetime.now(UTC))
    assert budget.segments_today(session, datetime.now(UTC)) == 1
    session.commit()
    session.refresh(message)
    assert message.status == MessageStatus.REFUSED and message.provider_sid is None
    # Never sent, it gave its segment back to the day's budget.
    assert budget.segments_today(session, datetime.now(UTC)) == 0


def test_queued_messages_use_their_share_of_the_daily_cap(
    app: Flask, session, change_settings
) -> None:
    change_settings(app, daily_segment_cap=20)  # QUEUED_SEGMENT_SHARE 0.25: 5 for queued messages
    contact = new_contact()
    now = datetime.now(UTC)
    # Yesterday's traffic does not count; today's replies do, in the whole cap only.
    session.add_all(
        [
            Message(
                direction=Direction.OUTBOUND,
                kind=MessageKind.ALERT,
                status=MessageStatus.SENT,
                segments=50,
                created_at=now - timedelta(days=1, hours=1),
            ),
            Message(
                direction=Direction.OUTBOUND,
                kind=MessageKind.REPLY,
                status=MessageStatus.ANSWERED,
                segments=1,
                created_at=now,
            ),
        ]
    )
    session.flush()
    assert budget.segments_today(session, now) == 1

    two_segments = "Le centre social est ouvert du lundi au vendredi. " * 4
    assert queue(session, contact, body=two_segments).status == MessageStatus.QUEUED
    assert queue(session, contact, body=two_segments).status == MessageStatus.QUEUED
    refused = queue(session, contact, body=two_segments)
    assert refused.status == MessageStatus.REFUSED
    assert queue(session, contact, body="Rappel : lundi 9 h").status == MessageStatus.QUEUED
    assert queue(session, contact, body="Rappel : mardi 9 h").status == MessageStatus.REFUSED
    assert budget.segments_today(session, now) == 6
    # What queued messages may not use is kept for the answers to residents' texts.
    assert not budget.take(session, 1, now, queued=True)
    assert budget.take(session, 14, now) and not budget.take(session, 1, now)


def test_queued_messages_stay_within_the_whole_cap(app: Flask, session, change_settings) -> None:
    change_settings(app, daily_segment_cap=20)
    session.add(
        Message(
            direction=Direction.OUTBOUND,
            kind=MessageKind.REPLY,
            status=MessageStatus.ANSWERED,
            segments=20,
            created_at=datetime.now(UTC),
        )
    )
    session.flush()
    assert queue(session, new_contact()).status == MessageStatus.REFUSED


@pytest.mark.parametrize("kind", [MessageKind.REPLY, MessageKind.MESSAGE])
def test_replies_and_inbound_are_not_queued(session, kind: MessageKind) -> None:
    with pytest.raises(ValueError):
        queue(session, new_contact(), kind=kind)


def test_empty_body_is_refused_early(session) -> None:
    with pytest.raises(ValueError):
        queue(session, new_contact(), body="")


def test_a_job_for_a_sent_message_does_nothing(outbox_app: Flask) -> None:
    session = db.session
    message = queue(session, new_contact())
    session.commit()
    session.refresh(message)
    sid = message.provider_sid
    send_message(message.id)
    session.refresh(message)
    assert (message.status, message.attempts, message.provider_sid) == (
        MessageStatus.SENT,
        1,
        sid,
    )
