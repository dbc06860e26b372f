"""The review queue of incoming data·inclusion changes to locally edited services.

Revision ID: 0011_incoming_changes
Revises: 0010_hsds_lossless
Create Date: 2026-12-03 17:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_incoming_changes"
down_revision = "0010_hsds_lossless"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incoming_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.String(length=255), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_incoming_changes_service_id_services"),
            ondelete="CASCADE",
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incoming_changes")),
    )
    op.create_index(
        op.f("ix_incoming_changes_service_id"), "incoming_changes", ["service_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_incoming_changes_service_id"), table_name="incoming_changes")
    op.drop_table("incoming_changes")
