"""What one text message costs the database: a handful of statements, the directory from memory.

The directory is read once per process and version (a snapshot of plain values, the search
index built on it); a message then reads only the version stamp, whatever it shows. The
contact and its conversation are read once per message, and a message is committed twice:
stored, then answered.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

from gateway.db import db
from tests.sms.conftest import Texter

# Both databases: the statements a message costs are counted on each.
pytestmark = pytest.mark.backends("sqlite", "postgresql")

NUMBER = "+33612345678"
DIRECTORY_TABLES = (
    "services",
    "service_texts",
    "service_categories",
    "service_locations",
    "locations",
    "organizations",
    "phones",
    "schedules",
    "closures",
)
# An ordinary message of a known number: the message stored (its INSERT finds the contact),
# committed; then the contact read with its turn, the hourly limit, the conversation, the
# directory's version, the conversation saved, the daily cap, the message answered and the
# answer stored, committed (a search also keeps its anonymous trace); on PostgreSQL the
# message is marked answered in the statement that stores its answer. A flush storm or a
# second lookup of the contact or the conversation would pass this bound.
MAX_STATEMENTS = {"sqlite": 10, "postgresql": 9}
COMMITS = 2


@pytest.fixture
def statements(sms_app: Flask) -> Iterator[list[str]]:
    """Every SELECT, INSERT, UPDATE and DELETE the app sends, as sent."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().split(None, 1)[0].upper() in {"SELECT", "INSERT", "UPDATE", "DELETE"}:
            seen.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)


@pytest.fixture
def commits(sms_app: Flask) -> Iterator[list[Session]]:
    """The sessions' commits, one entry each."""
    seen: list[Session] = []

    def record(session: Session) -> None:
        seen.append(session)

    event.listen(db.sessionmaker, "after_commit", record)
    yield seen
    event.remove(db.sessionmaker, "after_commit", record)


def _reads(statements: list[str], table: str) -> list[str]:
    return [s for s in statements if s.startswith("SELECT") and f" FROM {table} " in f"{s} "]


def test_an_ordinary_message_reads_its_contact_once_and_commits_twice(
    texter, statements: list[str], commits: list[Session]
) -> None:
    resident: Texter = texter(NUMBER)
    resident.send("ou manger ce soir")  # the first creates the contact, and reads the directory
    for body in ("2", "SUITE", "douche", "1", "AIDE", "hebergement urgence", "3", "MENU"):
        statements.clear()
        commits.clear()
        assert resident.send(body).text
        assert len(_reads(statements, "contacts")) == 1, (body, statements)
        assert len(_reads(statements, "conversation_states")) == 1, (body, statements)
        # The day of the contact's latest message is already today's: no write of it.
        assert not [s for s in statements if s.startswith("UPDATE contacts")], body
        assert len(statements) <= MAX_STATEMENTS[db.engine.dialect.name], (body, statements)
        assert len(commits) == COMMITS, body


def test_an_answer_reads_the_directory_from_memory(texter, statements: list[str]) -> None:
    resident: Texter = texter(NUMBER)
    resident.send("ou manger ce soir")  # the first reads the directory, once for all
    for body in ("2", "SUITE", "5", "douche", "1", "AIDE", "3", "medecin gratuit", "MENU"):
        statements.clear()
        assert resident.send(body).text
        directory = [
            statement
            for statement in statements
            if any(f" {table} " in f"{statement} " for table in DIRECTORY_TABLES)
        ]
        assert directory == [], body
        assert len(statements) <= MAX_STATEMENTS[db.engine.dialect.name], (body, statements)
        assert sum("directory_version" in statement for statement in statements) <= 1, body
