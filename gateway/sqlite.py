"""SQLite, the embedded default: connections that take turns to write.

SQLite lets one connection write at a time. Every transaction of ours begins IMMEDIATE (takes
the write lock at once): a deferred one that read before another process committed could not
write any more, and SQLite would refuse at once instead of waiting. Waiting is left to SQLite's
busy handler, which sleeps and retries on a fixed schedule, up to 100 ms between tries, while a
worker that has just committed can take the lock again before the sleeper wakes. Under steady
traffic some requests then waited hundreds of milliseconds for their turn (`bench/sms_webhook.py`
measured p99 130–210 ms with two workers).

So before BEGIN IMMEDIATE a connection first takes its turn on an advisory lock on a file beside
the database (``<database>-writers``), looked at every millisecond at most: a waiting worker
gets the lock within a millisecond of its release, and the waits stay about one transaction
long. The turn ends with the transaction's COMMIT or ROLLBACK. A process that dies loses its
lock with it. Waiting longer than the connection's ``timeout`` (the engine's busy timeout,
``DATABASE_STATEMENT_TIMEOUT``) fails as SQLite's own wait does: "database is locked".

A connection that only reads, and says so (the execution option :data:`READ_ONLY`, e.g. a
background read of the whole directory), begins a plain deferred transaction and takes no
turn: in WAL mode it sees one consistent state while writers go on committing.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import time
from typing import Any

from sqlalchemy import Engine, create_engine, event

_LONGEST_PAUSE = 0.001
# Execution option of a connection whose transactions never write (any backend ignores it).
READ_ONLY = "guichet_read_only"


class WriterTurn:
    """The advisory lock that writers of one database file queue on."""

    def __init__(self, database_path: str) -> None:
        self._fd = os.open(f"{database_path}-writers", os.O_RDWR | os.O_CREAT, 0o600)
        self.held = False

    def take(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        pause = 0.0001
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise sqlite3.OperationalError("database is locked") from None
                time.sleep(pause)
                pause = min(pause * 2, _LONGEST_PAUSE)
            else:
                self.held = True
                return

    def give_back(self) -> None:
        if self.held:
            self.held = False
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        self.give_back()
        os.close(self._fd)


class TurnTakingConnection(sqlite3.Connection):
    """A sqlite3 connection whose write transactions take a :class:`WriterTurn` first."""

    def __init__(
        self, database: str | os.PathLike[str], timeout: float, *args: Any, **kwargs: Any
    ) -> None:
        super().__init__(database, timeout, *args, **kwargs)
        self.timeout = timeout
        path = os.fspath(database)
        # A URI or an in-memory database has no file of its own beside which to queue.
        plain_file = path not in ("", ":memory:") and not path.startswith("file:")
        self.turn = WriterTurn(path) if plain_file else None

    def begin_immediate(self) -> None:
        if self.turn is not None:
            self.turn.take(self.timeout)
        try:
            self.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._end_turn()
            raise

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._end_turn()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._end_turn()

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self.turn is not None:
                self.turn.close()
                self.turn = None

    def _end_turn(self) -> None:
        if self.turn is not None:
            self.turn.give_back()


def _on_connect(dbapi_connection: TurnTakingConnection, _record: object) -> None:
    # pysqlite's own transaction handling never emits BEGIN before a SAVEPOINT, so a nested
    # transaction would commit early; we take over (SQLAlchemy's documented pysqlite recipe).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # Readers and the writer don't block each other in WAL mode: a request reading the
    # directory never stalls a worker committing a message, and the other way round.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _on_begin(connection: Any) -> None:
    if connection.get_execution_options().get(READ_ONLY):
        connection.connection.driver_connection.execute("BEGIN")
    else:
        connection.connection.driver_connection.begin_immediate()


def make_sqlite_engine(url: str, busy_timeout: float) -> Engine:
    """An engine on the SQLite database ``url`` whose transactions take turns to write,
    each waiting ``busy_timeout`` seconds at most for its turn."""
    engine = create_engine(
        url,
        hide_parameters=True,
        connect_args={
            "check_same_thread": False,
            "timeout": busy_timeout,
            "factory": TurnTakingConnection,
        },
    )
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
    return engine
