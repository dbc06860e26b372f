"""``POST /sms/status``: Twilio's delivery reports move an outbound message forward only."""

from __future__ import annotations

import pytest

from gateway.db import db
from gateway.models import Contact, Direction, Message, MessageKind, MessageStatus
from tests.fakes.twilio_webhooks import message_status_form
from tests.sms.conftest import (
    ACCOUNT_SID,
    CITY_NUMBER,
    MESSAGING_SERVICE_SID,
    PUBLIC_BASE_URL,
    Texter,
    new_sid,
    replies,
    sign,
    twilio_form,
)
from tests.sms.test_hostile_input import BAD_SIDS

pytestmark = pytest.mark.backends("postgresql")

NUMBER = "+33612345678"


def status_form(sid: str, status: str, error_code: str | None = None) -> dict[str, str]:
    """The fields Twilio posts to a message's StatusCallback."""
    extra = {"ErrorCode": error_code} if error_code is not None else {}
    return message_status_form(
        sid,
        status,
        to=NUMBER,
        sender=CITY_NUMBER,
        account_sid=ACCOUNT_SID,
        MessagingServiceSid=MESSAGING_SERVICE_SID,
        **extra,
    )


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


def test_a_reply_is_tracked_by_the_reports_its_answer_asks_for(texter) -> None:
    resident: Texter = texter(NUMBER)
    answer = resident.send("AIDE")
    [reply] = replies()
    assert answer.status_url == f"/sms/status?reply={reply.id}"
    sid = new_sid()
    for status in ("sent", "delivered", "sent"):
        assert resident.post(status_form(sid, status), path=answer.status_url).status_code == 204
    [reply] = replies()
    assert (reply.provider_sid, reply.status) == (sid, MessageStatus.DELIVERED)


def test_a_retried_message_asks_for_reports_on_the_same_reply(texter) -> None:
    resident: Texter = texter(NUMBER)
    form = twilio_form(NUMBER, "AIDE")
    first, again = resident.deliver(form), resident.deliver(form)
    assert first.status_url == again.status_url and len(replies()) == 1


def test_a_report_cannot_take_over_a_reply_that_has_its_sid(texter) -> None:
    resident: Texter = texter(NUMBER)
    url = resident.send("AIDE").status_url
    first = new_sid()
    resident.post(status_form(first, "sent"), path=url)
    assert resident.post(status_form(new_sid(), "failed", "30008"), path=url).status_code == 204
    [reply] = replies()
    assert (reply.provider_sid, reply.status, reply.error_code) == (first, MessageStatus.SENT, None)


def test_a_reply_refused_at_the_carrier_opts_the_resident_out(texter) -> None:
    resident: Texter = texter(NUMBER)
    url = resident.send("AIDE").status_url
    refused = status_form(new_sid(), "undelivered", "21610")
    assert resident.post(refused, path=url).status_code == 204
    assert resident.contact().opted_out_at is not None
    assert replies()[0].status is MessageStatus.UNDELIVERED


def test_a_report_for_a_reply_must_be_signed_with_its_url(texter) -> None:
    resident: Texter = texter(NUMBER)
    url = resident.send("AIDE").status_url
    [reply] = replies()
    form = status_form(new_sid(), "delivered")
    signed_elsewhere = sign(PUBLIC_BASE_URL + "/sms/status?reply=999999", form)
    assert resident.post(form, path=url, signature=signed_elsewhere).status_code == 403
    assert replies()[0].status is MessageStatus.ANSWERED


@pytest.mark.parametrize("sid", BAD_SIDS)
def test_a_report_with_a_malformed_sid_is_a_bad_request(texter, sent: Message, sid: str) -> None:
    assert report(texter, sid, "delivered") == 400


@pytest.mark.parametrize(
    "code",
    [
        pytest.param("²", id="superscript-two"),
        pytest.param("99999999999", id="eleven-digits"),
        pytest.param("-1", id="negative"),
        pytest.param("٣٠٠٠٣", id="arabic-indic-digits"),
    ],
)
def test_a_report_with_a_malformed_error_code_is_a_bad_request(
    texter, sent: Message, code: str
) -> None:
    assert report(texter, sent.provider_sid, "failed", code) == 400
    db.session.refresh(sent)
    assert sent.error_code is None


def test_an_empty_error_code_is_no_error(texter, sent: Message) -> None:
    assert report(texter, sent.provider_sid, "delivered", "") == 204


@pytest.mark.parametrize("reply", ["99999999999", "²", "-3"])
def test_a_report_for_an_impossible_reply_row_is_a_bad_request(texter, reply: str) -> None:
    resident: Texter = texter(NUMBER)
    response = resident.post(status_form(new_sid(), "delivered"), path=f"/sms/status?reply={reply}")
    assert response.status_code == 400
