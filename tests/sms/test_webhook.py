"""``POST /sms`` answers only Twilio, stores every message first, and answers each one once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from gateway.db import db
from gateway.messaging import inbound as pipeline
from gateway.models import Direction, Message, MessageKind, MessageStatus
from tests.conftest import _rolled_back_app, translated
from tests.fakes import gsm0338
from tests.sms.conftest import (
    MAX_SEGMENTS,
    PUBLIC_BASE_URL,
    Texter,
    in_sms,
    inbound_messages,
    read_twiml,
    replies,
    sign,
    sms_settings,
    twilio_form,
)

pytestmark = pytest.mark.backends("postgresql")

NUMBER = "+33612345678"
NOT_UNDERSTOOD = "Sorry, I did not understand. Tell me in a few words what you need."
LONG_BODY = ("Bonjour, je cherche un endroit pour manger ce soir avec mes enfants. " * 30)[:1600]


@pytest.mark.parametrize(
    ("body", "shows"),
    [
        pytest.param(
            "ou manger ce soir",
            ["1. ", "3. ", in_sms(translated("Reply %(keys)s", keys="1-3, SUITE, MENU"))],
            id="valid",
        ),
        pytest.param("", ["1. Alimentation", "16. Urgences"], id="empty-body"),
        pytest.param(LONG_BODY, ["1. "], id="1600-characters"),
        pytest.param(
            "🙏🙏🙏 😀",
            [in_sms(translated(NOT_UNDERSTOOD))],
            id="emoji",
        ),
        pytest.param("ou\x00 manger\x07\x1b ce\x0c soir\r\n", ["1. ", "3. "], id="control-chars"),
        pytest.param("<script>alert('x')</script><b>manger</b>", ["1. "], id="markup-in-the-body"),
        pytest.param("a < b & c", ["a < b & c"], id="markup-characters-echoed"),
        pytest.param("أين آكل", ["1. ", "3. "], id="arabic"),
        pytest.param("де поїсти", ["1. ", "3. "], id="ukrainian"),
    ],
)
def test_a_signed_message_is_stored_then_answered(texter, body: str, shows: list[str]) -> None:
    resident: Texter = texter(NUMBER)
    form = twilio_form(NUMBER, body)
    answer = resident.deliver(form)

    assert answer.text is not None, answer.xml
    for words in shows:
        assert words in answer.text, answer.text
    assert "<script" not in answer.xml and "<b>" not in answer.xml
    assert not re.search("[\x00-\x09\x0b-\x1f]", answer.text), "no control character is sent"

    [message] = inbound_messages()
    assert (message.provider_sid, message.body, message.kind) == (
        form["MessageSid"],
        body.replace("\x00", "\ufffd"),  # PostgreSQL keeps no NUL in text
        MessageKind.MESSAGE,
    )
    assert message.status is MessageStatus.ANSWERED and message.channel == "sms"
    assert message.contact_id == resident.contact().id and message.to_number is None
    [reply] = replies()
    assert (reply.in_reply_to_id, reply.contact_id) == (message.id, message.contact_id)
    assert (reply.direction, reply.status) == (Direction.OUTBOUND, MessageStatus.ANSWERED)
    assert reply.body == answer.text, "what is stored is what Twilio sends"
    encoding, _units, segments = gsm0338.segments(answer.text)
    assert (reply.encoding, reply.segments) == (encoding, segments)
    assert 1 <= segments <= MAX_SEGMENTS


@pytest.mark.parametrize(
    ("body", "encoding"),
    [("ou manger ce soir", "GSM-7"), ("أين آكل", "UCS-2"), ("де поїсти", "UCS-2")],
)
def test_gsm7_unless_the_language_needs_ucs2(texter, body: str, encoding: str) -> None:
    texter(NUMBER).send(body)
    assert replies()[0].encoding == encoding


def _signatures() -> Iterator[object]:
    yield pytest.param(lambda form: "", id="unsigned")
    yield pytest.param(lambda form: "bm90IGEgc2lnbmF0dXJl", id="wrong-signature")
    yield pytest.param(lambda form: sign(PUBLIC_BASE_URL + "/voice", form), id="another-url")
    yield pytest.param(
        lambda form: sign("https://attacker.example.net/sms", form), id="another-host"
    )
    yield pytest.param(
        lambda form: sign(PUBLIC_BASE_URL + "/sms", form, token="b" * 32), id="another-token"
    )
    yield pytest.param(
        lambda form: sign(PUBLIC_BASE_URL + "/sms", {**form, "Body": "AIDE"}),
        id="another-body",
    )


@pytest.mark.parametrize("signature", list(_signatures()))
@pytest.mark.parametrize("path", ["/sms", "/sms/status"])
def test_what_twilio_did_not_sign_is_refused(texter, signature, path: str) -> None:
    resident: Texter = texter(NUMBER)
    form = twilio_form(NUMBER, "ou manger ce soir")
    response = resident.post(form, path=path, signature=signature(form))
    assert response.status_code == 403
    assert inbound_messages() == [] and resident.contact() is None


def test_without_a_twilio_token_every_webhook_is_refused(demo_database_url: str) -> None:
    for app in _rolled_back_app(demo_database_url, TWILIO_AUTH_TOKEN=None):
        form = twilio_form(NUMBER, "AIDE")
        response = app.test_client().post(
            "/sms", data=form, headers={"X-Twilio-Signature": sign(PUBLIC_BASE_URL + "/sms", form)}
        )
        assert response.status_code == 403


@pytest.fixture
def proxied_app(demo_database_url: str) -> Iterator[Flask]:
    """Behind one proxy, no PUBLIC_BASE_URL: the URL is rebuilt from X-Forwarded-*."""
    yield from _rolled_back_app(
        demo_database_url, **sms_settings(PUBLIC_BASE_URL=None, TRUSTED_PROXIES=1)
    )


def test_behind_a_proxy_the_forwarded_url_is_the_one_signed(proxied_app: Flask, clock) -> None:
    client = proxied_app.test_client()
    form = twilio_form(NUMBER, "AIDE")
    signature = sign("https://guichet.example.org/sms", form)
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "guichet.example.org"}
    bare = client.post("/sms", data=form, headers={"X-Twilio-Signature": signature})
    assert bare.status_code == 403, "without the proxy's headers the URL is not Twilio's"
    response = client.post(
        "/sms", data=form, headers={"X-Twilio-Signature": signature, **forwarded}
    )
    assert response.status_code == 200
    assert read_twiml(response.get_data()).text


def test_a_form_without_a_message_sid_is_a_bad_request(texter) -> None:
    resident: Texter = texter(NUMBER)
    form = {"From": NUMBER, "Body": "AIDE", "AccountSid": "AC" + "0" * 32}
    assert resident.post(form).status_code == 400


def test_a_retried_message_gets_the_stored_answer_and_nothing_more(texter, clock) -> None:
    resident: Texter = texter(NUMBER)
    form = twilio_form(NUMBER, "ou manger ce soir")
    first = resident.deliver(form)
    clock.advance(timedelta(seconds=15))  # Twilio retries when an answer is late
    again = resident.deliver(form)
    assert again.text == first.text
    assert len(inbound_messages()) == 1 and len(replies()) == 1
    # The conversation did not move on: "2" still picks from the first list.
    details = resident.send("2").text or ""
    assert "AVIS 2" in details  # how to report the place numbered 2 of the first list


def test_a_retry_of_a_message_that_got_no_answer_gets_none(texter) -> None:
    resident: Texter = texter(NUMBER)
    form = twilio_form(NUMBER, "STOP", OptOutType="STOP")
    assert resident.deliver(form).text is None
    assert resident.deliver(form).text is None
    assert replies() == [] and len(inbound_messages()) == 1


def test_the_message_is_committed_before_the_engine_runs(texter, monkeypatch) -> None:
    def broken(_inbound, _contact):  # type: ignore[no-untyped-def]
        raise RuntimeError("the engine failed")

    monkeypatch.setattr(pipeline, "handle", broken)
    resident: Texter = texter(NUMBER)
    form = twilio_form(NUMBER, "ou manger ce soir")
    with pytest.raises(RuntimeError):
        resident.post(form)
    db.session.rollback()
    [message] = db.session.scalars(select(Message)).all()
    assert (message.provider_sid, message.body, message.status) == (
        form["MessageSid"],
        "ou manger ce soir",
        MessageStatus.RECEIVED,
    )


def test_a_sender_that_is_not_a_phone_number_is_stored_not_answered(texter) -> None:
    resident: Texter = texter(NUMBER)
    answer = resident.deliver(twilio_form("CityInfo", "Bonjour"))
    assert answer.text is None
    [message] = inbound_messages()
    assert message.contact_id is None and message.body == "Bonjour"


def test_the_twiml_is_served_as_xml_in_utf8(texter) -> None:
    resident: Texter = texter(NUMBER)
    response = resident.post(twilio_form(NUMBER, "де поїсти"))
    assert response.content_type == "text/xml; charset=utf-8"
    assert response.get_data().startswith(b'<?xml version="1.0" encoding="UTF-8"?><Response>')
