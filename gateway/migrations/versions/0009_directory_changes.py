"""The directory's change log: which services each version changed.

Each process then reloads only those services instead of the whole directory. The log
starts empty, so it covers the versions after the current one (``log_start``).

Revision ID: 0009_directory_changes
Revises: 0008_daily_segments
Create Date: 2026-12-03 09:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_directory_changes"
down_revision = "0008_daily_segments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "directory_change",
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("version", "service_id", name=op.f("pk_directory_change")),
    )
    with op.batch_alter_table("directory_version", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("log_start", sa.Integer(), server_default="0", nullable=False)
        )
    op.execute(sa.text("UPDATE directory_version SET log_start = version"))


def downgrade() -> None:
    with op.batch_alter_table("directory_version", schema=None) as batch_op:
        batch_op.drop_column("log_start")
    op.drop_table("directory_change")
