"""The database handle: one engine per app, one session per app context.

Created unbound at import time and bound by the app factory, so importing ``gateway`` opens
no connection. Views and operations use ``db.session``; the request (or CLI command, or job)
decides the single commit point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import DateTime, Dialect, Engine, MetaData, create_engine, make_url
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from gateway.config import Settings, settings
from gateway.sqlite import make_sqlite_engine

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A moment, stored and read back as an aware datetime in UTC on every database.

    SQLite keeps no offset: it would store an aware datetime's wall-clock time as it is and
    read back a naive one. PostgreSQL reads back in the session's time zone. Code comparing
    or formatting moments gets one kind of value from both, and a naive value — a bug, it has
    no place on the time line — is refused before it is written.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"a naive datetime cannot be stored: {value!r}")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


@dataclass
class _Bound:
    engine: Engine
    sessionmaker: sessionmaker[Session]


@dataclass(frozen=True)
class Timeouts:
    """How long, in seconds, a process waits on its database before it gives up.

    ``connect``: to open a connection; ``statement``: for one statement, waiting for locks
    included (on SQLite, which cannot stop a running statement: waiting for its write lock);
    ``pool``: for a connection of the pool to be free.
    """

    connect: float
    statement: float
    pool: float

    @classmethod
    def of(cls, config: Settings) -> Timeouts:
        return cls(
            config.database_connect_timeout,
            config.database_statement_timeout,
            config.database_pool_timeout,
        )


# Migrations may rewrite a big table: an hour for a statement, after which it is stuck.
MAINTENANCE = Timeouts(connect=10, statement=3600, pool=30)


def make_engine(url: str, timeouts: Timeouts = MAINTENANCE) -> Engine:
    """An engine with the settings every process of ours wants for ``url``.

    No statement takes longer than ``timeouts`` allow, and no SQL error or log names the
    values it was given (``hide_parameters``): they are message bodies and phone hashes.

    Disconnects are handled optimistically (SQLAlchemy's "Disconnect Handling – Optimistic"),
    not with ``pool_pre_ping``: a ping is a round trip on every checkout, two per SMS, more
    than a tenth of what answering one costs. A connection found dead fails its statement
    and SQLAlchemy invalidates the pool, so the next checkout connects afresh; the SMS path
    retries such a message once (:func:`gateway.messaging.inbound.receive`), and any other
    request that hits it is answered 503 (``gateway.errors``), which Twilio and browsers
    retry.
    """
    if url.startswith("sqlite"):
        return make_sqlite_engine(url, timeouts.statement)
    # Added to the URL's own ``options`` (a search_path, say), which connect_args would replace.
    options = make_url(url).query.get("options") or ""
    if not isinstance(options, str):
        options = " ".join(options)
    statement_ms = math.ceil(timeouts.statement * 1000)
    return create_engine(
        url,
        pool_timeout=timeouts.pool,
        hide_parameters=True,
        connect_args={
            "connect_timeout": math.ceil(timeouts.connect),  # libpq counts whole seconds
            "options": f"{options} -c statement_timeout={statement_ms}".strip(),
        },
    )


def insert_for(session: Session, model: type[Base]) -> postgresql.Insert | sqlite.Insert:
    """An INSERT of ``model`` that can say ``ON CONFLICT``, in the dialect ``session`` uses.

    SQLite and PostgreSQL spell it alike, but SQLAlchemy has one construct per dialect.
    """
    return insert_in(session.get_bind().dialect.name, model)


def insert_in(dialect: str, model: type[Base]) -> postgresql.Insert | sqlite.Insert:
    """:func:`insert_for` by the dialect's name, for a statement built once per dialect."""
    if dialect == "sqlite":
        return sqlite.insert(model)
    return postgresql.insert(model)


class Database:
    _KEY = "guichet.db"

    def init_app(self, app: Flask) -> None:
        engine = make_engine(settings(app).database_url, Timeouts.of(settings(app)))
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
