"""What HSDS feeds say that Guichet has no column for, kept for the export: ``hsds_extra``.

One JSON column on ``services``, ``organizations`` and ``locations`` holds the HSDS keys of
that object which Guichet does not map (fees, contacts, accessibility, extensions such as
``x_data_inclusion``…); every existing row starts with none (``{}``).

Revision ID: 0012_hsds_extra
Revises: 0011_incoming_changes
Create Date: 2026-12-03 17:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_hsds_extra"
down_revision = "0011_incoming_changes"
branch_labels = None
depends_on = None

TABLES = ("services", "organizations", "locations")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(
            table, sa.Column("hsds_extra", sa.JSON(), server_default="{}", nullable=False)
        )


def downgrade() -> None:
    # Not a batch: rebuilding these tables would trip the foreign keys pointing to them.
    for table in TABLES:
        op.execute(sa.text(f"ALTER TABLE {table} DROP COLUMN hsds_extra"))
