"""What one text message costs the database: a handful of statements, the directory from memory.

The directory is read once per process and version (a snapshot of plain values, the search
index built on it); a message then reads only the version stamp, whatever it shows.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import event

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
# The store and the commit of the message, then: the hourly limit, the conversation, the
# directory's version, the contact's last message, the conversation saved, the daily cap,
# the message answered and the answer stored (a search also keeps its anonymous trace).
MAX_STATEMENTS = 12


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
        assert len(statements) <= MAX_STATEMENTS, (body, statements)
        assert sum("directory_version" in statement for statement in statements) <= 1, body
