"""Contacts by keyed hash: normalising, finding, opting out and in, forgetting."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from gateway.contacts import (
    contact_for,
    country_calling_code,
    forget_contact,
    local_form,
    normalize_number,
    opt_in,
    opt_out,
    phone_hash,
)
from gateway.models import (
    Contact,
    ConversationState,
    Direction,
    Feedback,
    Message,
    MessageKind,
    MessageStatus,
)

# Both databases: opting out and forgetting must hold on each.
pytestmark = pytest.mark.backends("sqlite", "postgresql")

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("+33612345678", "+33612345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("0033 6.12.34.56.78", "+33612345678"),
        ("+1 (202) 555-0143", "+12025550143"),
        ("+380 67 123 4567", "+380671234567"),
    ],
)
def test_normalize_number(typed: str, e164: str) -> None:
    assert normalize_number(typed) == e164


@pytest.mark.parametrize(
    ("number", "written"),
    [
        ("+33261910100", "02 61 91 01 00"),  # at home: the national form
        ("+33 6 12 34 56 78", "06 12 34 56 78"),
        ("+442071234567", "+442071234567"),  # abroad: as given
        ("115", "115"),  # a short number
        ("02 61 91 00 12", "02 61 91 00 12"),  # written nationally already
    ],
)
def test_local_form_is_the_number_as_the_city_writes_it(number: str, written: str) -> None:
    assert local_form(number, home="+33261910000") == written


@pytest.mark.parametrize("typed", ["", "anonymous", "0612345678", "+0612345678", "+12", "+33a"])
def test_normalize_number_refuses_what_is_not_international(typed: str) -> None:
    with pytest.raises(ValueError):
        normalize_number(typed)


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("+12025550143", "1"),
        ("+79161234567", "7"),
        ("+33612345678", "33"),
        ("+447700900123", "44"),
        ("+34612345678", "34"),
        ("+5511912345678", "55"),
        ("+351912345678", "351"),
        ("+380671234567", "380"),
        ("+212612345678", "212"),
        ("+201001234567", "20"),
        ("+966512345678", "966"),
    ],
)
def test_country_calling_code(number: str, code: str) -> None:
    assert country_calling_code(number) == code


def test_phone_hash_is_keyed_and_ignores_formatting() -> None:
    digest = phone_hash("+33612345678", "key")
    assert len(digest) == 64 and "33612345678" not in digest
    assert phone_hash("+33 6 12 34 56 78", "key") == digest
    assert phone_hash("+33612345678", "other key") != digest


def test_contact_for_finds_or_creates_without_keeping_the_number(session) -> None:
    contact = contact_for(session, "+33 6 12 34 56 78")
    assert contact.id is not None
    assert contact.country_code == "33"
    assert contact.phone_number is None
    assert contact.phone_hash == phone_hash("+33612345678", "test-phone-key")
    assert contact_for(session, "+33612345678").id == contact.id
    assert session.scalar(select(func.count(Contact.id))) == 1


def test_opt_out_clears_the_subscription_and_opt_in_does_not_restore_it(session) -> None:
    contact = contact_for(session, "+33612345678")
    contact.phone_number, contact.subscribed_at = "+33612345678", NOW
    opt_out(contact, NOW)
    assert (contact.opted_out_at, contact.phone_number, contact.subscribed_at) == (NOW, None, None)
    opt_in(contact)
    assert (contact.opted_out_at, contact.phone_number) == (None, None)


def test_forget_deletes_contact_state_messages_and_unlinks_reports(session, make_service) -> None:
    service = make_service("Restaurant solidaire")
    contact = contact_for(session, "+33612345678")
    other = contact_for(session, "+33699999999")
    session.add_all(
        [
            ConversationState(contact_id=contact.id, channel="sms", data={}, expires_at=NOW),
            ConversationState(contact_id=contact.id, channel="voice", data={}, expires_at=NOW),
            Feedback(service_id=service.id, contact_id=contact.id, channel="sms", locale="fr"),
        ]
    )
    for owner in (contact, other):
        session.add(
            Message(
                direction=Direction.INBOUND,
                kind=MessageKind.MESSAGE,
                contact_id=owner.id,
                body="manger",
                status=MessageStatus.ANSWERED,
            )
        )
    session.flush()
    forget_contact(session, contact)
    assert session.scalars(select(Contact.id)).all() == [other.id]
    assert session.scalar(select(func.count()).select_from(ConversationState)) == 0
    assert session.scalars(select(Message.contact_id)).all() == [other.id]
    assert session.scalars(select(Feedback.contact_id)).all() == [None]


def test_only_the_day_of_the_latest_message_is_kept(phone) -> None:
    resident = phone("+33612345678")
    resident.send("MENU")  # Monday 10:01 in Paris
    resident.send("AIDE", wait=timedelta(hours=5))
    monday = datetime(2026, 11, 30, tzinfo=UTC)
    assert resident.contact().last_seen_at == monday
    resident.send("MENU", wait=timedelta(days=1))
    assert resident.contact().last_seen_at == monday + timedelta(days=1)
