"""Key # cannot be multiplied: once per place and call, a few per call, the number's hour, the
city's share of the day; and whoever is refused hears why."""

from __future__ import annotations

import itertools

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from gateway.contacts import contact_for
from gateway.db import db
from gateway.models import Message, MessageKind, MessageStatus
from tests.conftest import translated
from tests.fakes.twilio_api import FakeTwilioApi
from tests.sms.conftest import read_twiml, twilio_form
from tests.sms.conftest import sign as sign_sms
from tests.voice.conftest import PUBLIC_BASE_URL, Answer, Caller

# Both databases: the hand-off's limits are counts each computes its own way.
pytestmark = pytest.mark.backends("sqlite", "postgresql")

SENDING = "We are sending these details to your phone by text message."
ALREADY_SENT = "We have already sent you these details during this call."
CALL_LIMIT = (
    "We cannot send more text messages during this call. You can listen to the details again."
)
HOUR_LIMIT = "This phone has had many text messages from us this hour. Please try again later."
DAY_LIMIT = "Sorry, we cannot send more text messages today. You can listen to the details again."


def open_place(caller: Caller, place: int) -> Answer:
    """From the main menu (English): Food, then its ``place``-th place."""
    caller.press("1")
    return caller.press(str(place))


def hash_on(caller: Caller, place: int) -> str:
    """Press # on a place of the Food list, back to the main menu; what was said first."""
    open_place(caller, place)
    said = caller.press("#").says()[0].text
    caller.press("0")
    return said


def english_call(call, number: str | None = "new") -> Caller:  # type: ignore[no-untyped-def]
    caller: Caller = call(number)
    caller.dial()
    caller.press("2")  # English
    return caller


def handoffs(number: str) -> list[Message]:
    """The hand-offs stored for ``number`` that are (to be) sent, refusals left out."""
    contact = contact_for(db.session, number)
    return list(
        db.session.scalars(
            select(Message).where(
                Message.contact_id == contact.id,
                Message.kind == MessageKind.HANDOFF,
                Message.status != MessageStatus.REFUSED,
            )
        )
    )


def test_thirty_presses_in_one_call_send_at_most_the_calls_limit(
    call, voice_app: Flask, twilio_api: FakeTwilioApi
) -> None:
    caller = english_call(call)  # HANDOFF_LIMIT_PER_CALL: 3 by default
    places = itertools.islice(itertools.cycle(range(1, 9)), 30)  # the first page of Food
    heard = [hash_on(caller, place) for place in places]
    assert heard[:8] == [SENDING] * 3 + [CALL_LIMIT] * 5
    assert heard[8:16] == [ALREADY_SENT] * 3 + [CALL_LIMIT] * 5  # the same places again
    assert heard[16:] == heard[8:16] + heard[8:14]
    assert len(handoffs(caller.number)) == 3
    assert len(twilio_api.sent_to(caller.number)) == 3


def test_a_replayed_hash_webhook_sends_once(call, twilio_api: FakeTwilioApi) -> None:
    caller = english_call(call)
    place = open_place(caller, 1)
    action = place.gather.get("action", "")
    first = caller.press_at(action, "#")
    replay = caller.press_at(action, "#")  # Twilio, or anyone who kept the signed request
    assert first.says()[0].text == SENDING
    assert replay.says()[0].text == ALREADY_SENT
    assert SENDING not in replay.text()
    (sent,) = handoffs(caller.number)
    assert caller.call_sid not in sent.dedupe_key, "no message row tells which call was whose"
    assert len(twilio_api.sent_to(caller.number)) == 1


def test_a_new_call_may_send_the_same_place_again(call, twilio_api: FakeTwilioApi) -> None:
    first = english_call(call)
    assert hash_on(first, 1) == SENDING
    again = english_call(call, first.number)
    assert hash_on(again, 1) == SENDING
    assert len(twilio_api.sent_to(first.number)) == 2


def sms_answer(client: FlaskClient, number: str, body: str) -> str | None:
    """A text from ``number`` to the city, through the SMS webhook; its answer (None: none)."""
    form = twilio_form(number, body)
    headers = {"X-Twilio-Signature": sign_sms(PUBLIC_BASE_URL + "/sms", form)}
    response = client.post("/sms", data=form, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return read_twiml(response.get_data()).text


def test_hand_offs_count_in_the_numbers_hour_with_its_sms_answers(
    call, voice_app: Flask, twilio_api: FakeTwilioApi, change_settings
) -> None:
    change_settings(voice_app, sms_rate_limit_per_hour=3)
    caller = english_call(call)
    assert sms_answer(caller.client, caller.number, "MENU")  # one answer by SMS
    assert [hash_on(caller, place) for place in (1, 2, 3)] == [SENDING, SENDING, HOUR_LIMIT]
    later = english_call(call, caller.number)  # another call: the same number, the same hour
    assert hash_on(later, 4) == HOUR_LIMIT
    assert len(twilio_api.sent_to(caller.number)) == 2
    # And the other way round: the hand-offs used the hour of the number's SMS answers.
    notice = sms_answer(caller.client, caller.number, "MENU")
    assert notice and notice.startswith("You have sent us many messages this hour.")


def test_with_the_hand_offs_share_spent_a_residents_sms_is_still_answered(
    call, voice_app: Flask, twilio_api: FakeTwilioApi, change_settings
) -> None:
    first = english_call(call)
    assert hash_on(first, 1) == SENDING
    (sent,) = handoffs(first.number)
    # Eight hand-offs like this one fill the whole cap; its default share for queued
    # messages (QUEUED_SEGMENT_SHARE 0.25) is two of them.
    change_settings(voice_app, daily_segment_cap=8 * sent.segments)
    heard = [hash_on(english_call(call), 1) for _ in range(7)]
    assert heard == [SENDING] + [DAY_LIMIT] * 6
    queued = db.session.scalar(
        select(func.sum(Message.segments)).where(
            Message.kind == MessageKind.HANDOFF, Message.status != MessageStatus.REFUSED
        )
    )
    assert queued == 2 * sent.segments

    assert sms_answer(first.client, "+33612345678", "AIDE"), "the resident is answered"


def test_the_refusals_are_said_in_the_callers_language(
    call, voice_app: Flask, change_settings
) -> None:
    change_settings(voice_app, handoff_limit_per_call=1)
    caller: Caller = call()
    caller.dial()
    caller.press("1")  # French
    heard = [hash_on(caller, place) for place in (1, 1, 2)]
    assert heard[1:] == [translated(ALREADY_SENT, "fr"), translated(CALL_LIMIT, "fr")]
    assert heard[1] == "Nous vous avons déjà envoyé ces informations pendant cet appel."
