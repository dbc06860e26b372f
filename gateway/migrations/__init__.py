"""Alembic, driven from code so that ``guichet db upgrade`` needs no ini file.

Why not Flask-Migrate: it is Alembic bound to Flask-SQLAlchemy's ``db`` object (its ``env.py``
reads ``current_app.extensions["migrate"].db``), and Guichet does not use Flask-SQLAlchemy: its
engines and sessions are plain SQLAlchemy 2 (:mod:`gateway.db`, with per-backend timeouts and
``hide_parameters``). Taking Flask-Migrate would mean taking Flask-SQLAlchemy too, for these few
lines. What it would give is here already: ``guichet db upgrade|downgrade`` (the Procfile's
release step, ``guichet demo``), and ``env.py`` on :data:`gateway.db.Base`'s metadata with its
constraint naming convention; besides, :func:`upgrade` takes a URL and needs no app, which the
tests and benchmarks use to migrate their databases before any app exists. (Flask-Migrate's
``db migrate`` autogenerate is left out on purpose: revisions here are written by hand, and
``tests/test_migrations.py`` checks that they keep one head, build exactly the models' schema
and go down and up again.)
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, create_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent


def alembic_config(database_url: str, connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(
    database_url: str, revision: str = "head", connection: Connection | None = None
) -> None:
    command.upgrade(alembic_config(database_url, connection), revision)


def downgrade(database_url: str, revision: str, connection: Connection | None = None) -> None:
    command.downgrade(alembic_config(database_url, connection), revision)


def is_current(database_url: str) -> bool:
    """Whether the database has every migration: a command's error can then say which to run."""
    heads = set(ScriptDirectory.from_config(alembic_config(database_url)).get_heads())
    engine = create_engine(database_url)
    quiet = logging.getLogger("alembic.runtime.migration")
    level = quiet.level
    quiet.setLevel(logging.WARNING)  # not "Context impl SQLiteImpl." above the answer
    try:
        with engine.connect() as connection:
            return set(MigrationContext.configure(connection).get_current_heads()) == heads
    finally:
        quiet.setLevel(level)
        engine.dispose()
