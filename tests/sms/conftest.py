"""A phone that texts the SMS channel as Twilio would, and reads its TwiML answers.

:class:`Texter` posts the form fields Twilio really posts for an inbound message, signed with
``X-Twilio-Signature`` over the public URL, to ``/sms``; each request runs in an app context of
its own, as in production. The clock is the city's Monday 30 November 2026, 10:00, and each
message arrives a minute after the one before unless told otherwise.
"""

from __future__ import annotations

import functools
import itertools
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import xmlschema
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from gateway.contacts import phone_hash
from gateway.db import db
from gateway.models import Contact, Direction, Message, MessageKind
from tests.conftest import TWIML_XSD, Clock, _rolled_back_app
from tests.fakes.twilio_webhooks import inbound_sms_form

AUTH_TOKEN = "0123456789abcdef" * 2
ACCOUNT_SID = "AC" + "fedcba9876543210" * 2
MESSAGING_SERVICE_SID = "MG" + "0123456789abcdef" * 2
PUBLIC_BASE_URL = "https://guichet.example.org"
CITY_NUMBER = "+33639980000"  # the number residents text
TZ = ZoneInfo("Europe/Paris")
MAX_SEGMENTS = 3


def sms_settings(**extra: Any) -> dict[str, Any]:
    """A Twilio account whose token signs the webhooks, and the public URL it calls."""
    return {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": CITY_NUMBER,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        **extra,
    }


def sign(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, params)


_sids = itertools.count(1)


def new_sid() -> str:
    return f"SM{next(_sids):032x}"


def twilio_form(number: str, body: str, sid: str | None = None, **extra: str) -> dict[str, str]:
    """The fields Twilio posts for an inbound SMS to a messaging service's number."""
    return inbound_sms_form(
        number,
        body,
        sid or new_sid(),
        to=CITY_NUMBER,
        account_sid=ACCOUNT_SID,
        MessagingServiceSid=MESSAGING_SERVICE_SID,
        **extra,
    )


@dataclass
class Answer:
    """One TwiML answer, read: the text of its ``<Message>`` or None for an empty one."""

    xml: str
    root: ET.Element

    @property
    def text(self) -> str | None:
        messages = self.root.findall("Message")
        assert len(messages) <= 1, self.xml
        return "".join(messages[0].itertext()) if messages else None

    @property
    def status_url(self) -> str | None:
        """Where Twilio is to report what became of the message (``<Message action>``)."""
        message = self.root.find("Message")
        return message.get("action") if message is not None else None


@functools.cache
def twiml_schema() -> xmlschema.XMLSchema:
    """Twilio's TwiML schema (its <Message> takes ``action``)."""
    assert TWIML_XSD.is_file(), f"Twilio's TwiML.xsd is expected at {TWIML_XSD}"
    return xmlschema.XMLSchema(str(TWIML_XSD))


def read_twiml(body: bytes) -> Answer:
    root = ET.fromstring(body)  # also proves the document is well-formed XML
    assert root.tag == "Response"
    assert {child.tag for child in root} <= {"Message"}
    twiml_schema().validate(body.decode("utf-8"))
    return Answer(body.decode("utf-8"), root)


@dataclass
class Texter:
    """One resident texting the city's number from ``number``."""

    client: FlaskClient
    clock: Clock
    number: str = "+33612345678"
    answers: list[Answer] = field(default_factory=list)

    def post(
        self,
        params: dict[str, str],
        *,
        path: str = "/sms",
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ):  # type: ignore[no-untyped-def]
        signature = sign(PUBLIC_BASE_URL + path, params) if signature is None else signature
        return self.client.post(
            path, data=params, headers={"X-Twilio-Signature": signature, **(headers or {})}
        )

    def deliver(self, params: dict[str, str]) -> Answer:
        """Post a signed inbound webhook and read the TwiML answer."""
        response = self.post(params)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.mimetype == "text/xml"
        answer = read_twiml(response.get_data())
        self.answers.append(answer)
        return answer

    def send(self, body: str, *, wait: timedelta = timedelta(minutes=1), **extra: str) -> Answer:
        """Text ``body``; the answer's text is ``.text`` (None when nothing is sent back)."""
        self.clock.advance(wait)
        return self.deliver(twilio_form(self.number, body, **extra))

    def contact(self) -> Contact | None:
        digest = phone_hash(self.number, "test-phone-key")
        return db.session.scalars(select(Contact).where(Contact.phone_hash == digest)).first()


def replies(contact_id: int | None = None) -> list[Message]:
    query = select(Message).where(
        Message.direction == Direction.OUTBOUND, Message.kind == MessageKind.REPLY
    )
    if contact_id is not None:
        query = query.where(Message.contact_id == contact_id)
    return list(db.session.scalars(query.order_by(Message.id)))


def inbound_messages() -> list[Message]:
    query = select(Message).where(Message.direction == Direction.INBOUND)
    return list(db.session.scalars(query.order_by(Message.id)))


@pytest.fixture
def sms_app(demo_database_url: str) -> Iterator[Flask]:
    """The demo city, on a Twilio account that signs the webhooks."""
    yield from _rolled_back_app(demo_database_url, **sms_settings())


@pytest.fixture
def texter(sms_app: Flask, clock: Clock) -> Callable[..., Texter]:
    """Factory: a resident texting from ``number`` (a French mobile unless told)."""

    def make(number: str = "+33612345678") -> Texter:
        return Texter(sms_app.test_client(), clock, number)

    return make


def in_sms(text: str) -> str:
    """``text`` as a phone receives it: folded to GSM-7 where it can be."""
    from gateway.messaging.gsm import encode_for_sms

    return encode_for_sms(text).text
