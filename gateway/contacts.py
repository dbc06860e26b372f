"""Residents by phone number, without keeping the number.

A contact is found by an HMAC of the normalised E.164 number keyed with ``PHONE_HASH_KEY``:
the same number always finds the same row, a stolen table gives no numbers back, and a new key
makes every old row unreachable. Only the country calling code is kept in clear, to guess a
language. Every channel and job goes through here, so opting out and forgetting mean the same
everywhere.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

import phonenumbers
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from gateway.config import settings
from gateway.db import insert_for
from gateway.models import Contact, ConversationState, Feedback, Message


def _parsed(number: str) -> phonenumbers.PhoneNumber:
    """``number`` read as an international number; ``ValueError`` for anything else."""
    compact = (number or "").strip()
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if not compact.startswith("+"):
        raise ValueError(f"not an international phone number: {number!r}")
    try:
        parsed = phonenumbers.parse(compact, None)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"not an international phone number: {number!r}") from exc
    if not phonenumbers.is_possible_number(parsed):
        raise ValueError(f"not an international phone number: {number!r}")
    return parsed


def normalize_number(number: str) -> str:
    """The E.164 form of an international number ("+33 6 12-34-56-78" → "+33612345678").

    Accepts the ``00`` international prefix; raises ``ValueError`` for anything that is not a
    possible international number (national formats, "anonymous", short codes). The
    ``phonenumbers`` library (Google's libphonenumber metadata) knows every country's lengths.
    """
    return phonenumbers.format_number(_parsed(number), phonenumbers.PhoneNumberFormat.E164)


def country_calling_code(number: str) -> str:
    """The country calling code of an international number, without the plus ("33", "1")."""
    return str(_parsed(number).country_code)


def local_form(number: str, home: str) -> str:
    """``number`` as it is written and dialled in the country of the number ``home`` (the
    city's helpline): the national form for a number of that country ("+33261910001" →
    "02 61 91 00 01", libphonenumber knows each country's prefix and grouping), anything else
    as it is given (a foreign number, a short number such as "115", a national form already).

    The one formatter of numbers for people: the lite site shows this, the voice menu reads
    its digits.
    """
    try:
        parsed = _parsed(number)
        at_home = parsed.country_code == _parsed(home).country_code
    except ValueError:
        return number
    if not at_home:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)


def phone_hash(number: str, key: str) -> str:
    """HMAC-SHA256 of the normalised number, hex: how a contact is found without its number."""
    return hmac.new(
        key.encode("utf-8"), normalize_number(number).encode("ascii"), hashlib.sha256
    ).hexdigest()


def sender_hash(number: str | None) -> str | None:
    """:func:`phone_hash` of a sender who may have no number to answer: None for an anonymous
    caller, an alphanumeric sender or a short code."""
    if not number:
        return None
    try:
        return phone_hash(number, settings().phone_hash_key)
    except ValueError:
        return None


# The id of the contact whose number hashes to the parameter ``phone_hash``, as a subquery: a
# statement that stores something of a contact's finds the contact in the same round trip.
CONTACT_ID_BY_HASH = (
    select(Contact.id).where(Contact.phone_hash == bindparam("phone_hash")).scalar_subquery()
)


def create_contact(session: Session, digest: str, number: str) -> int:
    """The id of the contact of ``number`` (hashed to ``digest``), created with its country
    code only unless there is one already.

    Messages from a new number may arrive together: the row is inserted unless one is there
    already (``ON CONFLICT DO NOTHING``, so no loser of the unique constraint fails), then
    read if another transaction inserted it.
    """
    created = session.execute(
        insert_for(session, Contact)
        .values(phone_hash=digest, country_code=country_calling_code(number))
        .on_conflict_do_nothing(index_elements=[Contact.phone_hash])
        .returning(Contact.id)
    ).scalar()
    if created is not None:
        return created
    return session.scalars(select(Contact.id).where(Contact.phone_hash == digest)).one()


def contact_for(session: Session, number: str) -> Contact:
    """The contact for ``number``, created on first contact (with its country code only)."""
    digest = phone_hash(number, settings().phone_hash_key)
    contact = session.scalars(select(Contact).where(Contact.phone_hash == digest)).first()
    if contact is None:
        contact = session.get_one(Contact, create_contact(session, digest, number))
    return contact


def contact_or_none(session: Session, number: str | None) -> Contact | None:
    """:func:`contact_for` a sender who may have no number to answer: None for an anonymous
    caller, an alphanumeric sender or a short code."""
    if not number:
        return None
    try:
        return contact_for(session, number)
    except ValueError:
        return None


def take_turn(session: Session, contact: Contact) -> Contact | None:
    """Wait until no other transaction handles a message of ``contact``, and hold the turn
    until this transaction ends; the contact as it is now, or None if it was forgotten.

    One contact's messages, answered one at a time, read and write its conversation state
    and its counts in turn. PostgreSQL locks the contact's row (``SELECT … FOR UPDATE``);
    SQLite has one writer at a time anyway.
    """
    return session.scalars(
        select(Contact)
        .where(Contact.id == contact.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def mark_seen(contact: Contact, at: datetime) -> None:
    """Remember the day of the contact's latest message or call.

    The day is all it takes to find contacts silent for long; the hour would be a log of when
    a resident writes, and rewriting the row on every message would cost an UPDATE each time.
    """
    day = at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if contact.last_seen_at != day:
        contact.last_seen_at = day


def opt_out(contact: Contact, at: datetime) -> None:
    """Stop every message but direct replies; the clear number goes with the subscription."""
    contact.opted_out_at = at
    contact.phone_number = None
    contact.subscribed_at = None


def opt_in(contact: Contact) -> None:
    """Allow messages again (START). Alerts need a new subscription: no number is restored."""
    contact.opted_out_at = None


def forget_contact(session: Session, contact: Contact) -> None:
    """Delete what is stored about this number: the contact, its states and every message.

    Reports stay for the social workers' counts (a report about a service, its channel, date
    and status) but lose their author and their words, which were the resident's.
    Search statistics were never linked to anyone.
    """
    session.execute(
        update(Feedback).where(Feedback.contact_id == contact.id).values(contact_id=None, text="")
    )
    session.execute(delete(Message).where(Message.contact_id == contact.id))
    session.execute(delete(ConversationState).where(ConversationState.contact_id == contact.id))
    session.delete(contact)
    session.flush()
