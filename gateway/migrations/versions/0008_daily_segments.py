"""The daily SMS budget is a counter row per day, not a sum over the day's messages.

No backfill: a day's row is seeded from that day's messages on its first use.

Revision ID: 0008_daily_segments
Revises: 0007_backoffice
Create Date: 2026-12-03 09:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_daily_segments"
down_revision = "0007_backoffice"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "daily_segments",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("queued", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_daily_segments")),
    )


def downgrade() -> None:
    op.drop_table("daily_segments")
