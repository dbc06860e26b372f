"""Residents are known by a keyed hash: no number is stored, old bodies go, FORGET is at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from gateway.config import settings
from gateway.contacts import phone_hash
from gateway.db import Base, db
from gateway.messaging.retention import purge_old_bodies
from gateway.models import Contact, ConversationState, Feedback, Message, SearchQuery
from gateway.privacy import scrub_personal
from tests.sms.conftest import Texter, inbound_messages, replies, twilio_form

# Both databases: what is deleted or scrubbed must be gone from each.
pytestmark = pytest.mark.backends("sqlite", "postgresql")

NUMBER = "+33612345678"
# The number as it could be written anywhere: international, without plus, national.
FORMS = ("+33612345678", "33612345678", "0612345678", "612345678")


def stored_values(*tables: str) -> list[str]:
    """Every value of every row of every table (or of ``tables``), as text."""
    values = []
    for table in Base.metadata.sorted_tables:
        if tables and table.name not in tables:
            continue
        for row in db.session.execute(select(table)):
            values += [str(value) for value in row if value is not None]
    return values


def test_no_table_holds_the_number_of_a_resident_who_did_not_subscribe(texter) -> None:
    resident: Texter = texter(NUMBER)
    for body in ("ou manger ce soir", "2", "AVIS 2 fermé", "LANGUE EN", "STOP", "START", "AIDE"):
        assert resident.send(body).text is not None
    contact = resident.contact()
    assert contact is not None and contact.phone_number is None
    assert contact.phone_hash == phone_hash(NUMBER, "test-phone-key") != NUMBER
    assert contact.country_code == "33"
    found = [value for value in stored_values() for form in FORMS if form in value]
    assert found == []
    assert all(message.to_number is None for message in [*inbound_messages(), *replies()])


def test_forget_leaves_nothing_that_points_at_the_number(texter) -> None:
    resident: Texter = texter(NUMBER)
    resident.send("ou manger ce soir")
    resident.send("OUBLI")
    assert db.session.scalars(select(Contact)).all() == []
    assert all(message.contact_id is None for message in db.session.scalars(select(Message)))
    bodies = [message.body for message in db.session.scalars(select(Message))]
    assert "ou manger ce soir" not in bodies and "OUBLI" not in bodies


def test_retention_blanks_what_residents_said_and_a_late_retry_is_not_answered(
    texter, sms_app
) -> None:
    resident: Texter = texter(NUMBER)
    form = twilio_form(NUMBER, "ou manger ce soir")
    assert resident.deliver(form).text is not None
    later = resident.clock.now + timedelta(days=settings(sms_app).retention_days + 1)
    purged = purge_old_bodies(db.session, later, settings(sms_app).retention_days)
    db.session.commit()
    assert purged.messages == 2
    assert [m.body for m in [*inbound_messages(), *replies()]] == [None, None]
    assert resident.deliver(form).text is None, "answered once, never again"


# Residents' words keep no number or address they typed (gateway.privacy)

TYPED_NUMBER = "06 98 76 54 32"
# Where a resident's words are linked to her, or kept past a search's statistics.
RESIDENTS_TABLES = ("conversation_states", "feedback", "messages")
TYPED_FORMS = ("0698765432", "698765432", "06 98 76 54 32", "+33698765432", "98 76 54 32")
TYPED_EMAIL = "marie.zephyrine@boite-perso.net"


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        ("rappelez-moi au 06 12 34 56 78 svp", "rappelez-moi au [☎] svp"),
        ("mon numéro +33612345678.", "mon numéro [☎]."),
        ("06.12.34.56.78 ou 0612345678", "[☎] ou [☎]"),
        ("0033 6 12 34 56 78", "[☎]"),
        ("call +44 7700 900123 please", "call [☎] please"),
        ("هاتفي ٠٦١٢٣٤٥٦٧٨", "هاتفي [☎]"),
        ("écrivez à marie.dupont+caf@example.org merci", "écrivez à [@] merci"),
    ],
)
def test_scrub_blanks_numbers_and_addresses(text: str, scrubbed: str) -> None:
    assert scrub_personal(text, "FR") == scrubbed


@pytest.mark.parametrize(
    "text",
    [
        "appelez le 115 ou le 3919, ou le 17",
        "ouvert 9h-12h et 14h30-17h, fermé le 12/03/2026",
        "lundi 09:00-12:30 13:30-17:00",
        "45100 Orléans, 12 rue de la Paix",
        "repas à 2,50 € ou 12.50 EUR, 1000 places",
        "SIRET 123 456 789 00012",
        "avis 2 fermé",
    ],
)
def test_scrub_leaves_hours_postcodes_prices_and_service_numbers(text: str) -> None:
    assert scrub_personal(text, "FR") == text


def _holding_personal_data() -> list[str]:
    return [
        value
        for value in stored_values()
        for form in (*TYPED_FORMS, TYPED_EMAIL, "boite", "zephyrine")
        if form in value
    ]


def test_a_number_typed_in_a_report_or_a_search_is_stored_nowhere(texter) -> None:
    resident: Texter = texter(NUMBER)
    resident.send("ou manger ce soir")
    thanks = resident.send(f"AVIS 2 fermé, rappelez-moi au {TYPED_NUMBER} ou {TYPED_EMAIL}")
    assert thanks.text is not None and thanks.text.startswith("Merci")
    [feedback] = db.session.scalars(select(Feedback)).all()
    assert feedback.text == "fermé, rappelez-moi au [☎] ou [@]"
    resident.send(f"aide loyer {TYPED_NUMBER} {TYPED_EMAIL}")
    resident.send(f"zzzzqq {TYPED_NUMBER}")  # nothing found: the answer echoes the words
    assert db.session.scalars(select(SearchQuery)).all(), "the searches were counted"
    assert _holding_personal_data() == []
    assert "[☎]" in (replies()[-1].body or "")


def test_after_forget_no_word_of_the_resident_is_left_in_states_or_reports(texter) -> None:
    resident: Texter = texter(NUMBER)
    resident.send("aide au loyer pour ma fille")
    resident.send("AVIS 1 personne ne répond le matin")
    assert db.session.scalars(select(ConversationState)).all()
    resident.send("OUBLI")
    assert db.session.scalars(select(ConversationState)).all() == []
    [report] = db.session.scalars(select(Feedback)).all()
    assert (report.text, report.contact_id, report.channel) == ("", None, "sms")
    assert not [v for v in stored_values(*RESIDENTS_TABLES) if "loyer" in v or "personne" in v]


def test_after_the_purge_no_word_of_the_resident_is_left_in_states_or_reports(
    texter, sms_app
) -> None:
    resident: Texter = texter(NUMBER)
    resident.send("aide au loyer pour ma fille")
    resident.send("AVIS 1 personne ne répond le matin")
    days = settings(sms_app).retention_days
    # Reports are dated by the database's clock, the conversation by the channel's.
    later = max(resident.clock.now, datetime.now(UTC)) + timedelta(days=days, hours=1)
    purged = purge_old_bodies(db.session, later, days)
    db.session.commit()
    assert (purged.conversations, purged.reports) == (1, 1)
    assert db.session.scalars(select(ConversationState)).all() == []
    [report] = db.session.scalars(select(Feedback)).all()
    assert report.text == "" and report.service_id, "the report is still counted"
    assert not [v for v in stored_values(*RESIDENTS_TABLES) if "loyer" in v or "personne" in v]
