"""The text message of a service a caller asks for with "#", composed and queued by the core:
what it says, and how often one call and one number may have it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from gateway.config import settings
from gateway.contacts import contact_for
from gateway.conversation import Action, Inbound, Reply, ReplyKind, Verb, handle
from gateway.db import db
from gateway.messaging.handoff import send_details
from gateway.messaging.outbox import Outcome
from gateway.models import Message, MessageKind, MessageStatus, Service
from tests.conversation.conftest import MONDAY_10H

NUMBER = "+447700900123"  # a British mobile: the menu, and the message, in English
CALL, OTHER_CALL = "CA" + "1" * 32, "CA" + "2" * 32


@pytest.fixture
def places(make_service: Callable[..., Service]) -> list[Service]:
    """Four places, each open on Monday and Tuesday mornings."""
    hours = [(0, "09:00", "12:00"), (1, "09:00", "12:00")]
    return [make_service(f"Repas {n}", hours=hours) for n in range(1, 5)]


def press_hash(service: Service) -> Reply:
    """The engine's answer to "#" on ``service`` in a call from ``NUMBER``."""
    action = Action(Verb.SEND_SMS, service.id)
    reply = handle(Inbound("voice", NUMBER, None, None, None, MONDAY_10H, action=action))
    assert reply.kind is ReplyKind.HANDOFF
    return reply


def send(service: Service, call: str = CALL) -> Outcome:
    return send_details(press_hash(service), contact_for(db.session, NUMBER), NUMBER, call)


def test_the_message_is_the_place_with_its_week(app: Flask, places: list[Service]) -> None:
    assert send(places[0]) is Outcome.QUEUED
    (message,) = db.session.query(Message).filter_by(kind=MessageKind.HANDOFF).all()
    assert (message.status, message.to_number, message.locale) == (
        MessageStatus.QUEUED,
        NUMBER,
        "en",
    )
    assert message.body.splitlines() == [
        "Repas 1",
        "1 rue de la Paix, 45100 Val-de-Lisle",
        "Monday-Tuesday: 9:00 AM-12:00 PM",  # as sent: GSM-7, a dash for the en dash
    ]
    assert "Open now" not in message.body  # it is read later


def test_one_call_sends_each_place_once_and_at_most_its_limit(
    app: Flask, places: list[Service]
) -> None:
    assert settings(app).handoff_limit_per_call == 3
    assert [send(place) for place in places] == [Outcome.QUEUED] * 3 + [Outcome.SCOPE_FULL]
    assert send(places[0]) is Outcome.DUPLICATE
    assert send(places[0], OTHER_CALL) is Outcome.QUEUED  # a new call may send it again
    keys = [m.dedupe_key or "" for m in db.session.query(Message).filter_by(kind="handoff")]
    assert keys and not any(CALL in key or OTHER_CALL in key for key in keys)


def test_the_numbers_hour_bounds_every_call(
    app: Flask, places: list[Service], change_settings
) -> None:
    change_settings(app, sms_rate_limit_per_hour=2)
    assert [send(place) for place in places[:2]] == [Outcome.QUEUED] * 2
    assert send(places[2], OTHER_CALL) is Outcome.HOURLY_LIMIT
