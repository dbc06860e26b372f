"""The database handle behaves the same on SQLite as on PostgreSQL."""

from sqlalchemy import func, select

from gateway import create_app
from gateway.db import db
from gateway.models import Organization
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
