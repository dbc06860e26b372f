"""Work queued for after the commit runs on commit only: a rollback forgets it for good."""

from __future__ import annotations

from flask import Flask

from gateway.db import db
from gateway.jobs import enqueue_after_commit
from gateway.messaging.jobs import send_after_commit
from gateway.models import Direction, Message, MessageKind, MessageStatus
from tests.fakes.twilio_api import FakeTwilioApi
from tests.messaging.conftest import new_contact

NUMBER = "+33612345678"


def test_rolled_back_work_never_runs_even_after_a_later_commit(outbox_app: Flask) -> None:
    session = db.session
    ran: list[str] = []
    new_contact()
    enqueue_after_commit(session, ran.append, "rolled back")
    session.rollback()

    new_contact()
    enqueue_after_commit(session, ran.append, "committed")
    session.commit()
    assert ran == ["committed"]

    new_contact()
    session.commit()
    assert ran == ["committed"], "committed work runs once"


def test_a_rolled_back_savepoint_forgets_only_its_own_work(outbox_app: Flask) -> None:
    session = db.session
    ran: list[str] = []
    new_contact()
    enqueue_after_commit(session, ran.append, "outer")
    with session.begin_nested() as savepoint:
        new_contact()
        enqueue_after_commit(session, ran.append, "rolled back")
        savepoint.rollback()
    with session.begin_nested():
        new_contact()
        enqueue_after_commit(session, ran.append, "released")
    session.commit()
    assert ran == ["outer", "released"]


def test_a_closed_session_forgets_its_uncommitted_work(outbox_app: Flask) -> None:
    session = db.session
    ran: list[str] = []
    new_contact()
    enqueue_after_commit(session, ran.append, "closed")
    session.close()
    new_contact()
    session.commit()
    assert ran == []


def test_a_send_queued_in_a_rolled_back_request_is_not_sent_by_the_next_commit(
    twilio_app: Flask, twilio_api: FakeTwilioApi
) -> None:
    """A hand-off row kept QUEUED (Redis was down); a request asks to send it, then fails."""
    session = db.session
    message = Message(
        direction=Direction.OUTBOUND,
        kind=MessageKind.HANDOFF,
        contact_id=new_contact().id,
        to_number=NUMBER,
        body="Restos du Coeur, 12 rue des Tanneurs",
        segments=1,
        status=MessageStatus.QUEUED,
    )
    session.add(message)
    session.commit()

    new_contact()
    send_after_commit(session, message.id)
    session.rollback()
    new_contact()
    session.commit()

    assert twilio_api.posts() == []
    session.refresh(message)
    assert message.status == MessageStatus.QUEUED

    send_after_commit(session, message.id)  # asked again, and committed this time
    session.commit()
    session.refresh(message)
    assert message.status == MessageStatus.SENT and len(twilio_api.posts()) == 1
