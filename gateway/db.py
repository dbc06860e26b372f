"""The database handle: one engine per app, one session per app context.

Created unbound at import time and bound by the app factory, so importing ``gateway`` opens
no connection. Views and operations use ``db.session``; the request (or CLI command, or job)
decides the single commit point.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, g
from sqlalchemy import Engine, MetaData, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


@dataclass
class _Bound:
    engine: Engine
    sessionmaker: sessionmaker[Session]


def _on_sqlite_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # pysqlite's own transaction handling never emits BEGIN before a SAVEPOINT, so a nested
    # transaction would commit early; we take over (SQLAlchemy's documented pysqlite recipe).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # Readers and the writer don't block each other in WAL mode: a request reading the
    # directory never stalls a worker committing a message, and the other way round.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _on_sqlite_begin(connection) -> None:  # type: ignore[no-untyped-def]
    # IMMEDIATE: take the write lock at the start and wait for it (busy timeout). A deferred
    # transaction that read before another process committed could not write any more, and
    # SQLite would refuse at once instead of waiting. The embedded default serialises writers;
    # a site with real traffic runs PostgreSQL.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str) -> Engine:
    """An engine with the settings every process of ours wants for ``url``."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15})
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True)


class Database:
    _KEY = "guichet.db"

    def init_app(self, app: Flask) -> None:
        engine = make_engine(app.config["DATABASE_URL"])
        app.extensions[self._KEY] = _Bound(engine, sessionmaker(engine, expire_on_commit=False))
        app.teardown_appcontext(self._remove_session)

    def _bound(self) -> _Bound:
        return current_app.extensions[self._KEY]  # type: ignore[no-any-return]

    @property
    def engine(self) -> Engine:
        return self._bound().engine

    @property
    def sessionmaker(self) -> sessionmaker[Session]:
        return self._bound().sessionmaker

    @property
    def session(self) -> Session:
        """The session of the current app context, opened on first use."""
        if "db_session" not in g:
            g.db_session = self.sessionmaker()
        return g.db_session  # type: ignore[no-any-return]

    @staticmethod
    def _remove_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()


db = Database()
