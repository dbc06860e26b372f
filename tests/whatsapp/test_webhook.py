"""``POST /whatsapp``: the SMS conversation on WhatsApp, as guarded and as private as ``/sms``."""

from __future__ import annotations

import logging

import pytest

from gateway.conversation import handle
from gateway.messaging import inbound as pipeline
from gateway.models import MessageStatus
from tests.conftest import translated
from tests.sms.conftest import (
    PUBLIC_BASE_URL,
    in_sms,
    inbound_messages,
    replies,
    sign,
    twilio_form,
)
from tests.sms.test_privacy import RESIDENTS_TABLES, stored_values
from tests.whatsapp.conftest import PROFILE_NAME, WhatsAppUser, whatsapp_form

pytestmark = pytest.mark.backends("postgresql")

NUMBER = "+33612345678"


def test_a_message_is_stored_then_answered_on_whatsapp(whatsapp_user, monkeypatch) -> None:
    resident: WhatsAppUser = whatsapp_user(NUMBER)
    seen_before_answering: list[list[str]] = []

    def engine(inbound, contact):  # type: ignore[no-untyped-def]
        seen_before_answering.append([message.body for message in inbound_messages()])
        return handle(inbound, contact)

    monkeypatch.setattr(pipeline, "handle", engine)
    form = whatsapp_form(NUMBER, "ou manger ce soir")
    answer = resident.deliver(form)

    assert seen_before_answering == [["ou manger ce soir"]]
    assert answer.text is not None and "1. " in answer.text and "3. " in answer.text
    [message] = inbound_messages()
    assert (message.provider_sid, message.channel) == (form["MessageSid"], "whatsapp")
    assert message.status is MessageStatus.ANSWERED
    [reply] = replies()
    assert (reply.body, reply.channel, reply.in_reply_to_id) == (
        answer.text,
        "whatsapp",
        message.id,
    )
    assert reply.segments == 1, "WhatsApp bills a message, not segments"
    assert answer.status_url == f"/sms/status?reply={reply.id}"


def test_whatsapp_keeps_what_sms_folds_or_drops(texter, whatsapp_user) -> None:
    on_sms = texter("+380671111111").send("де поїсти").text or ""  # Ukrainian: UCS-2 by SMS
    answer = whatsapp_user("+380672222222").send("де поїсти").text or ""
    assert len(on_sms) < len(answer) <= 4096, "the places' details SMS drops are shown"
    assert replies()[-1].segments == 1


def test_a_reply_keeps_its_letters_as_written(texter, whatsapp_user) -> None:
    on_sms = texter("+33611111111").send("LANGUE FR").text or ""
    resident: WhatsAppUser = whatsapp_user(NUMBER)
    answer = resident.send("LANGUE FR").text or ""
    assert "Français" not in on_sms, "SMS folds ç to GSM-7"
    assert "Français" in answer and answer == on_sms.replace("Francais", "Français")


def test_the_same_number_is_one_resident_on_sms_and_whatsapp(texter, whatsapp_user) -> None:
    on_whatsapp: WhatsAppUser = whatsapp_user(NUMBER)
    on_whatsapp.send("LANGUE EN")
    by_sms = texter(NUMBER)
    answer = by_sms.send("MENU").text or ""
    assert "1. Food" in answer, "the language chosen on WhatsApp holds by SMS"
    assert on_whatsapp.contact() is not None
    assert [message.channel for message in replies()] == ["whatsapp", "sms"]


def test_the_reply_is_in_the_residents_language(whatsapp_user) -> None:
    resident: WhatsAppUser = whatsapp_user("+380671234567")  # a Ukrainian phone
    resident.send("де поїсти")
    assert replies()[-1].locale == "uk"


def test_the_profile_name_is_never_stored_nor_logged(whatsapp_user, caplog) -> None:
    resident: WhatsAppUser = whatsapp_user(NUMBER)
    with caplog.at_level(logging.DEBUG):
        resident.send("ou manger ce soir")
        resident.send("1")
    assert not [value for value in stored_values() if PROFILE_NAME in value]
    assert not [value for value in stored_values() if "whatsapp:" in value]
    assert PROFILE_NAME not in caplog.text


@pytest.mark.parametrize(
    "signature",
    [
        pytest.param(lambda form: "", id="unsigned"),
        pytest.param(lambda form: "bm90IGEgc2lnbmF0dXJl", id="forged"),
        pytest.param(lambda form: sign(PUBLIC_BASE_URL + "/sms", form), id="signed-for-sms"),
        pytest.param(
            lambda form: sign(PUBLIC_BASE_URL + "/whatsapp", form, token="b" * 32),
            id="another-token",
        ),
    ],
)
def test_what_twilio_did_not_sign_is_refused(whatsapp_user, signature) -> None:
    resident: WhatsAppUser = whatsapp_user(NUMBER)
    form = whatsapp_form(NUMBER, "ou manger ce soir")
    assert resident.post(form, signature=signature(form)).status_code == 403
    assert inbound_messages() == [] and resident.contact() is None


@pytest.mark.parametrize(
    "form",
    [
        pytest.param(twilio_form(NUMBER, "AIDE"), id="an-sms-sender"),
        pytest.param(whatsapp_form(NUMBER, "AIDE", sid="SM" + "0" * 63), id="65-character-sid"),
        pytest.param(whatsapp_form(NUMBER, "AIDE", sid="SM" + "0" * 31 + "\x00"), id="nul-sid"),
    ],
)
def test_what_twilio_never_sends_is_a_bad_request(whatsapp_user, form) -> None:
    resident: WhatsAppUser = whatsapp_user(NUMBER)
    assert resident.post(form).status_code == 400
    assert inbound_messages() == []


def test_a_retried_message_is_answered_once(whatsapp_user) -> None:
    resident: WhatsAppUser = whatsapp_user(NUMBER)
    form = whatsapp_form(NUMBER, "ou manger ce soir")
    first = resident.deliver(form)
    again = resident.deliver(form)
    assert again.text == first.text
    assert len(inbound_messages()) == 1 and len(replies()) == 1


def test_stop_is_confirmed_and_holds(whatsapp_user) -> None:
    resident: WhatsAppUser = whatsapp_user(NUMBER)
    answer = resident.send("STOP").text
    confirmation = translated(
        "You will get no more messages from us. Send %(word)s to get them again.",
        word="START",
    )
    assert answer == in_sms(confirmation)
    contact = resident.contact()
    assert contact is not None and contact.opted_out_at is not None


def test_forget_leaves_nothing_of_the_resident(whatsapp_user) -> None:
    resident: WhatsAppUser = whatsapp_user(NUMBER)
    resident.send("ou manger ce soir")
    assert resident.send("OUBLI").text
    assert resident.contact() is None
    assert not [v for v in stored_values(*RESIDENTS_TABLES) if "ou manger ce soir" in v]
