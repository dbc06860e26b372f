"""``POST /sms/status``: Twilio's delivery reports move an outbound message forward only."""

from __future__ import annotations

import pytest

from gateway.db import db
from gateway.models import Contact, Direction, Message, MessageKind, MessageStatus
from tests.sms.conftest import ACCOUNT_SID, CITY_NUMBER, MESSAGING_SERVICE_SID, Texter, new_sid

NUMBER = "+33612345678"


def status_form(sid: str, status: str, error_code: str | None = None) -> dict[str, str]:
    """The fields Twilio posts to a message's StatusCallback."""
    form = {
        "SmsSid": sid,
        "SmsStatus": status,
        "MessageStatus": status,
        "To": NUMBER,
        "MessagingServiceSid": MESSAGING_SERVICE_SID,
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": CITY_NUMBER,
        "ApiVersion": "2010-04-01",
    }
    if error_code is not None:
        form["ErrorCode"] = error_code
    return form


@pytest.fixture
def sent(sms_app) -> Message:
    """A handoff the provider accepted, waiting for its delivery report."""
    contact = Contact(phone_hash="status-test", country_code="33")
    db.session.add(contact)
    db.session.flush()
    message = Message(
        direction=Direction.OUTBOUND,
        kind=MessageKind.HANDOFF,
        contact_id=contact.id,
        provider_sid=new_sid(),
        to_number=NUMBER,
        body="Accueil de jour",
        encoding="GSM-7",
        segments=1,
        status=MessageStatus.SENT,
    )
    db.session.add(message)
    db.session.commit()
    return message


def report(texter, sid: str, status: str, error_code: str | None = None) -> int:
    resident: Texter = texter(NUMBER)
    response = resident.post(status_form(sid, status, error_code), path="/sms/status")
    return response.status_code


def test_delivered_then_a_late_sent_stays_delivered(texter, sent: Message) -> None:
    assert report(texter, sent.provider_sid, "delivered") == 204
    assert report(texter, sent.provider_sid, "sent") == 204
    db.session.refresh(sent)
    assert sent.status is MessageStatus.DELIVERED
    assert sent.to_number is None, "a final state keeps no number"


def test_an_unsubscribed_recipient_is_opted_out(texter, sent: Message) -> None:
    assert report(texter, sent.provider_sid, "undelivered", "21610") == 204
    db.session.refresh(sent)
    assert (sent.status, sent.error_code) == (MessageStatus.UNDELIVERED, 21610)
    contact = db.session.get(Contact, sent.contact_id)
    db.session.refresh(contact)
    assert contact.opted_out_at is not None


def test_a_failure_keeps_its_error_code(texter, sent: Message) -> None:
    assert report(texter, sent.provider_sid, "failed", "30003") == 204
    db.session.refresh(sent)
    assert (sent.status, sent.error_code) == (MessageStatus.FAILED, 30003)


def test_an_unknown_message_is_acknowledged_and_changes_nothing(texter, sent: Message) -> None:
    assert report(texter, new_sid(), "delivered") == 204
    db.session.refresh(sent)
    assert sent.status is MessageStatus.SENT


def test_a_report_without_sid_or_status_is_a_bad_request(texter, sent: Message) -> None:
    resident: Texter = texter(NUMBER)
    form = {"AccountSid": ACCOUNT_SID, "MessageSid": sent.provider_sid}
    assert resident.post(form, path="/sms/status").status_code == 400
