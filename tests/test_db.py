"""The database handle behaves the same on SQLite as on PostgreSQL."""

import sqlite3
import threading
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, StatementError

from gateway import create_app
from gateway.db import db
from gateway.models import (
    Contact,
    Direction,
    Message,
    MessageKind,
    MessageStatus,
    Organization,
)
from gateway.sqlite import READ_ONLY, WriterTurn, make_sqlite_engine
from tests.conftest import fresh_database_url, settings_for


def test_a_rolled_back_outer_transaction_takes_its_savepoints_with_it(backend, tmp_path) -> None:
    # pysqlite alone would commit at the first SAVEPOINT; the engine must not let it.
    url = fresh_database_url(backend, "nested", tmp_path)
    app = create_app(settings_for(url))
    with app.app_context():
        with db.engine.connect() as connection:
            outer = connection.begin()
            nested = connection.begin_nested()
            connection.execute(
                Organization.__table__.insert().values(id="o1", name="A", description="")
            )
            nested.commit()
            outer.rollback()
        assert db.session.scalar(select(func.count(Organization.id))) == 0
        db.session.close()
        db.engine.dispose()


def test_an_app_fixture_commit_does_not_leak_into_the_shared_database(app, session) -> None:
    session.add(Organization(id="leak-check", name="Leak", description=""))
    session.commit()
    # Another connection, as the DB-API gives it (no SQLAlchemy transaction of its own: on
    # SQLite it reads the last committed state without waiting for the write lock).
    other = db.engine.raw_connection()
    try:
        cursor = other.cursor()
        cursor.execute("SELECT count(*) FROM organizations WHERE id = 'leak-check'")
        assert cursor.fetchone()[0] == 0
    finally:
        other.close()


def test_sqlite_writers_wait_their_turn_and_each_commit_lands(tmp_path) -> None:
    # Two connections write the same counter; the second begins while the first holds the
    # write lock, waits for its turn instead of failing, and reads the first one's commit.
    engine = make_sqlite_engine(f"sqlite:///{tmp_path / 'turns.sqlite3'}", busy_timeout=15)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE counter (n INTEGER)")
        connection.exec_driver_sql("INSERT INTO counter VALUES (0)")
    first_holds, second_done = threading.Event(), threading.Event()
    seen: list[int] = []

    def second() -> None:
        first_holds.wait()
        with engine.begin() as connection:
            seen.append(connection.exec_driver_sql("SELECT n FROM counter").scalar_one())
            connection.exec_driver_sql("UPDATE counter SET n = n + 1")
        second_done.set()

    worker = threading.Thread(target=second)
    worker.start()
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE counter SET n = n + 1")
        first_holds.set()
        assert not second_done.wait(0.2)  # still waiting for its turn
    worker.join(timeout=10)
    assert seen == [1]
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT n FROM counter").scalar_one() == 2
    engine.dispose()


def test_a_sqlite_reader_that_says_so_holds_up_no_writer(tmp_path) -> None:
    # A whole read of the directory takes seconds: writers commit meanwhile, and the reader
    # goes on seeing the state it began with.
    engine = make_sqlite_engine(f"sqlite:///{tmp_path / 'reads.sqlite3'}", busy_timeout=1)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE counter (n INTEGER)")
        connection.exec_driver_sql("INSERT INTO counter VALUES (0)")
    with engine.connect().execution_options(**{READ_ONLY: True}) as reader:
        assert reader.exec_driver_sql("SELECT n FROM counter").scalar_one() == 0
        with engine.begin() as writer:
            writer.exec_driver_sql("UPDATE counter SET n = n + 1")
        assert reader.exec_driver_sql("SELECT n FROM counter").scalar_one() == 0
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT n FROM counter").scalar_one() == 1
    engine.dispose()


def test_a_sqlite_writer_that_waits_too_long_is_told_the_database_is_locked(tmp_path) -> None:
    path = str(tmp_path / "busy.sqlite3")
    holder, waiter = WriterTurn(path), WriterTurn(path)
    holder.take(timeout=0.05)
    try:
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            waiter.take(timeout=0.05)
    finally:
        holder.close()
    waiter.take(timeout=0.05)  # free again once the holder is gone
    waiter.close()


def test_moments_come_back_aware_in_utc_and_naive_ones_are_refused(backend, tmp_path) -> None:
    url = fresh_database_url(backend, "moments", tmp_path)
    app = create_app(settings_for(url))
    paris_evening = datetime(2026, 11, 30, 23, 30, tzinfo=ZoneInfo("Europe/Paris"))
    with app.app_context():
        db.session.add(Contact(phone_hash="a" * 64, opted_out_at=paris_evening))
        db.session.commit()
        db.session.expire_all()
        stored = db.session.scalar(select(Contact.opted_out_at))
        assert stored == paris_evening and stored.tzinfo is UTC
        assert stored.hour == 22  # the same instant, not Paris's wall clock taken as UTC
        db.session.add(Contact(phone_hash="b" * 64, opted_out_at=datetime(2026, 11, 30, 9)))
        with pytest.raises(StatementError, match="naive datetime"):
            db.session.flush()
        db.session.rollback()
        db.session.close()
        db.engine.dispose()


def test_a_database_error_names_no_value_it_was_given(backend, tmp_path) -> None:
    # Gunicorn's error log keeps the text of every error: a message body or a phone hash in
    # it would outlive the retention the residents were promised.
    url = fresh_database_url(backend, "hidden", tmp_path)
    app = create_app(settings_for(url))
    words = "je dors dehors depuis mardi"
    with app.app_context():
        db.session.add(
            Message(
                direction=Direction.INBOUND,
                kind=MessageKind.MESSAGE,
                contact_id=424242,  # nobody: the foreign key refuses the row
                body=words,
                status=MessageStatus.RECEIVED,
            )
        )
        with pytest.raises(IntegrityError) as refused:
            db.session.commit()
        db.session.rollback()
        db.session.close()
        db.engine.dispose()
    assert words not in str(refused.value)
    assert "parameters hidden" in str(refused.value)
