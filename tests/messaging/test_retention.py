"""What residents said is forgotten after RETENTION_DAYS; ``guichet outbox`` and ``purge``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import select

from gateway.db import db
from gateway.messaging.cli import mask_number
from gateway.messaging.outbox import queue_send
from gateway.messaging.retention import purge_old_bodies
from gateway.models import (
    ConversationState,
    Direction,
    Feedback,
    Message,
    MessageKind,
    MessageStatus,
    SearchQuery,
)
from tests.messaging.conftest import new_contact

NOW = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)


def message(created_at: datetime) -> Message:
    return Message(
        direction=Direction.INBOUND,
        kind=MessageKind.MESSAGE,
        status=MessageStatus.ANSWERED,
        to_number="+33261910000",
        body="ou manger ce soir",
        created_at=created_at,
    )


def search(created_at: datetime) -> SearchQuery:
    return SearchQuery(channel="sms", locale="fr", text="manger soir", created_at=created_at)


def test_purge_blanks_what_is_older_than_the_retention(session) -> None:
    old, recent = NOW - timedelta(days=31), NOW - timedelta(days=29)
    rows = [message(old), message(recent), search(old), search(recent)]
    session.add_all(rows)
    session.flush()

    purged = purge_old_bodies(session, NOW, 30)

    assert (purged.messages, purged.search_queries) == (1, 1)
    for row in rows:
        session.refresh(row)
    old_message, recent_message, old_search, recent_search = rows
    assert (old_message.body, old_message.to_number) == (None, None)
    assert recent_message.body == "ou manger ce soir"
    assert (old_search.text, recent_search.text) == (None, "manger soir")
    assert old_search.category is None and old_search.id, "the statistic row stays"
    assert purge_old_bodies(session, NOW, 30).messages == 0


def test_purge_blanks_old_reports_and_deletes_old_conversations(session, make_service) -> None:
    service = make_service()
    old, recent = NOW - timedelta(days=31), NOW - timedelta(days=29)
    reports = [
        Feedback(service_id=service.id, channel="sms", locale="fr", text="fermé", created_at=at)
        for at in (old, recent)
    ]
    states = [
        ConversationState(
            contact_id=new_contact().id,
            channel="sms",
            data={"listing": {"verb": "search", "arg": "loyer impayé", "ids": []}},
            expires_at=at,
        )
        for at in (old, recent)
    ]
    session.add_all([*reports, *states])
    session.flush()

    purged = purge_old_bodies(session, NOW, 30)

    assert (purged.reports, purged.conversations) == (1, 1)
    for report in reports:
        session.refresh(report)
    assert [report.text for report in reports] == ["", "fermé"]
    assert reports[0].service_id == service.id and reports[0].channel == "sms"
    kept = session.scalars(select(ConversationState)).all()
    assert [state.contact_id for state in kept] == [states[1].contact_id]
    assert purge_old_bodies(session, NOW, 30).reports == 0


def test_purge_command(outbox_app: Flask) -> None:
    session = db.session
    session.add_all([message(datetime.now(UTC) - timedelta(days=40)), search(datetime.now(UTC))])
    session.commit()
    result = outbox_app.test_cli_runner().invoke(args=["purge"])
    assert result.exit_code == 0, result.output
    assert result.output == (
        "purged 1 messages, 0 search texts, 0 report texts and 0 conversations\n"
    )
    assert session.scalars(select(Message.body)).all() == [None]


def test_outbox_command_lists_the_last_messages(outbox_app: Flask) -> None:
    session = db.session
    contact = new_contact()
    for body in ("Premier", "Fête – « Noël »", "Свято"):
        queue_send(
            session,
            to_number="+33612345678",
            body=body,
            kind=MessageKind.CONFIRMATION,
            locale="fr",
            contact=contact,
        )
        session.commit()

    result = outbox_app.test_cli_runner().invoke(args=["outbox", "-n", "2"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 4 and "Premier" not in result.output
    assert "confirmation to +336******78 GSM-7 1 seg sent (attempts 1)" in lines[0]
    assert lines[1] == '    Fete - "Noel"'
    assert "UCS-2 1 seg sent" in lines[2] and lines[3] == "    Свято"


def test_mask_number() -> None:
    assert mask_number("+33612345678") == "+336******78"
    assert mask_number("0612345678") == "061*****78"
    assert mask_number(None) == "-"
