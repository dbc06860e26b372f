"""Ids as long as partners' feeds use (255 characters), and a location's country.

Every directory id, the columns that point to one, and the audit trail's entity id grow from
64 to 255 characters; ``locations.country`` holds the country a feed gave (NULL: the city's).

SQLite does not enforce a VARCHAR's length, and widening a column there would mean rebuilding
each table: dropping ``services`` with foreign keys on (the app turns them on, and a pragma
cannot turn them off inside the migration's transaction) would cascade-delete every phone,
schedule and text. So on SQLite only the declared types are rewritten in the stored schema,
which is all a widening changes there.

Revision ID: 0010_hsds_lossless
Revises: 0009_directory_changes
Create Date: 2026-12-03 17:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_hsds_lossless"
down_revision = "0009_directory_changes"
branch_labels = None
depends_on = None

# table -> its id columns, referenced ones (primary keys) before those that point to them.
ID_COLUMNS = {
    "organizations": ("id",),
    "services": ("id", "organization_id"),
    "locations": ("id", "address_id"),
    "service_locations": ("id", "service_id", "location_id"),
    "service_texts": ("service_id",),
    "service_categories": ("service_id",),
    "phones": ("id", "service_id"),
    "schedules": ("id", "service_id"),
    "closures": ("id", "service_id"),
    "directory_change": ("service_id",),
    "feedback": ("service_id",),
    "user_organizations": ("organization_id",),
    "audit_entries": ("entity_id",),
}


def _resize(old: int, new: int) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        version = bind.execute(sa.text("PRAGMA schema_version")).scalar_one()
        bind.execute(sa.text("PRAGMA writable_schema=ON"))
        for table, columns in ID_COLUMNS.items():
            for column in columns:
                bind.execute(
                    sa.text(
                        "UPDATE sqlite_master SET sql = replace(sql, :old, :new) "
                        "WHERE type = 'table' AND name = :table"
                    ),
                    {"old": f"\t{column} VARCHAR({old})", "new": f"\t{column} VARCHAR({new})",
                     "table": table},
                )  # fmt: skip
        bind.execute(sa.text(f"PRAGMA schema_version={int(version) + 1}"))
        bind.execute(sa.text("PRAGMA writable_schema=OFF"))
        return
    for table, columns in ID_COLUMNS.items():
        for column in columns:
            op.alter_column(
                table,
                column,
                existing_type=sa.String(length=old),
                type_=sa.String(length=new),
            )


def upgrade() -> None:
    _resize(64, 255)
    op.add_column("locations", sa.Column("country", sa.String(length=2), nullable=True))


def downgrade() -> None:
    # Not a batch: rebuilding ``locations`` would trip the foreign keys pointing to it.
    op.execute(sa.text("ALTER TABLE locations DROP COLUMN country"))
    _resize(255, 64)
