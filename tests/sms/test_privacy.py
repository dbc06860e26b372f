"""Residents are known by a keyed hash: no number is stored, old bodies go, FORGET is at once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from gateway.contacts import phone_hash
from gateway.db import Base, db
from gateway.messaging.retention import purge_old_bodies
from gateway.models import Contact, Message
from tests.sms.conftest import Texter, inbound_messages, replies, twilio_form

NUMBER = "+33612345678"
# The number as it could be written anywhere: international, without plus, national.
FORMS = ("+33612345678", "33612345678", "0612345678", "612345678")


def stored_values() -> list[str]:
    """Every value of every row of every table, as text."""
    values = []
    for table in Base.metadata.sorted_tables:
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
    later = resident.clock.now + timedelta(days=sms_app.config["RETENTION_DAYS"] + 1)
    purged = purge_old_bodies(db.session, later, sms_app.config["RETENTION_DAYS"])
    db.session.commit()
    assert purged.messages == 2
    assert [m.body for m in [*inbound_messages(), *replies()]] == [None, None]
    assert resident.deliver(form).text is None, "answered once, never again"
