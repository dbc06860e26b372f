"""Key # on a place: its details by SMS to the calling phone, queued through outbound messaging."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from gateway.contacts import contact_for
from gateway.db import db
from gateway.models import Message, MessageKind, MessageStatus
from tests.fakes.twilio_api import FakeTwilioApi
from tests.voice.conftest import Caller

pytestmark = pytest.mark.backends("postgresql")

FOOD_FIRST_PLACE = "2111"  # English, Food, the first place


def _place(caller: Caller) -> str:
    caller.dial()
    answer = None
    for key in FOOD_FIRST_PLACE:
        answer = caller.press(key)
    assert answer is not None
    return answer.says()[0].text


def test_hash_sends_the_place_to_the_calling_phone(call, twilio_api: FakeTwilioApi) -> None:
    caller: Caller = call()
    name = _place(caller)
    sent = caller.press("#")
    said = [line.text for line in sent.says()]
    assert said[:3] == [
        "We are sending these details to your phone by text message.",
        "The message gives the hours, the address and the phone number of:",
        name,
    ]
    assert "To get these details by text message, press hash." not in said

    contact = contact_for(db.session, caller.number)
    (message,) = db.session.scalars(select(Message).where(Message.contact_id == contact.id))
    assert message.kind is MessageKind.HANDOFF
    assert message.status is MessageStatus.SENT  # in-process: sent once the webhook committed
    assert message.body.splitlines()[0] == name
    (received,) = twilio_api.sent_to(caller.number)
    assert received["body"] == message.body
    assert "Tel. +33" in received["body"]
    assert "Open now" not in received["body"]  # the week's hours: it is read later


def test_a_hidden_number_is_offered_nothing_to_send(call, twilio_api: FakeTwilioApi) -> None:
    caller: Caller = call(None)
    _place(caller)
    assert "hash" not in caller.last.text()
    sent_before = len(twilio_api.created)
    again = caller.press("#")
    assert again.says()[0].text == "That key does not work here."
    assert len(twilio_api.created) == sent_before


def test_an_opted_out_number_gets_no_text(call, twilio_api: FakeTwilioApi) -> None:
    caller: Caller = call()
    contact = contact_for(db.session, caller.number)
    contact.opted_out_at = datetime.now(UTC)
    db.session.commit()
    _place(caller)
    assert "hash" not in caller.last.text()
    refused = caller.press("#")
    assert refused.says()[0].text == (
        "You asked us not to send you messages. Text START to allow them again."
    )
    assert twilio_api.sent_to(caller.number) == []
