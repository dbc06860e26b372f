"""Migrations: one head, they build exactly the models' schema, and they go down and up."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from gateway.db import Base
from gateway.migrations import alembic_config, downgrade, upgrade
from tests.conftest import fresh_database_url


def test_single_head() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1


def test_migrations_match_models(backend, tmp_path) -> None:
    url = fresh_database_url(backend, "migrations", tmp_path)
    engine = create_engine(url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()


def test_downgrade_to_base_and_back(backend, tmp_path) -> None:
    url = fresh_database_url(backend, "downup", tmp_path)
    downgrade(url, "base")
    engine = create_engine(url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(url)
    assert "services" in inspect(engine).get_table_names()
    engine.dispose()
