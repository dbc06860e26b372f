"""Delivery reports move a message forward only, whatever order they arrive in."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gateway.messaging.status import apply_status
from gateway.models import Contact, Direction, Message, MessageKind, MessageStatus
from tests.messaging.conftest import new_contact

SID = "SM" + "ab" * 16


def sent_message(session, **fields) -> Message:  # type: ignore[no-untyped-def]
    message = Message(
        direction=Direction.OUTBOUND,
        kind=MessageKind.ALERT,
        status=MessageStatus.SENT,
        provider_sid=SID,
        to_number="+33612345678",
        body="Alerte",
        contact_id=new_contact(phone_number="+33612345678", subscribed_at=datetime.now(UTC)).id,
        **fields,
    )
    session.add(message)
    session.flush()
    return message


@pytest.mark.parametrize(
    ("reports", "final"),
    [
        (["sent", "delivered"], MessageStatus.DELIVERED),
        (["delivered", "sent"], MessageStatus.DELIVERED),
        (["delivered", "queued", "sending"], MessageStatus.DELIVERED),
        (["queued", "sending"], MessageStatus.SENT),
        (["undelivered", "delivered"], MessageStatus.UNDELIVERED),
        (["failed", "sent", "delivered"], MessageStatus.FAILED),
        (["read"], MessageStatus.DELIVERED),
        (["no-such-status"], MessageStatus.SENT),
    ],
)
def test_status_never_moves_backwards(session, reports: list[str], final: MessageStatus) -> None:
    message = sent_message(session)
    for report in reports:
        assert apply_status(session, SID, report, None) is message
    assert message.status == final
    assert (message.to_number is None) == (final != MessageStatus.SENT)


def test_error_code_is_kept_with_the_final_status(session) -> None:
    message = sent_message(session)
    apply_status(session, SID, "undelivered", 30003)
    apply_status(session, SID, "failed", 30008)
    assert (message.status, message.error_code) == (MessageStatus.UNDELIVERED, 30003)


def test_unsubscribed_at_the_carrier_opts_out(session) -> None:
    message = sent_message(session)
    apply_status(session, SID, "failed", 21610)
    contact = session.get_one(Contact, message.contact_id)
    assert contact.opted_out_at is not None and contact.phone_number is None


def test_unknown_sid(session) -> None:
    assert apply_status(session, "SM" + "00" * 16, "delivered", None) is None
