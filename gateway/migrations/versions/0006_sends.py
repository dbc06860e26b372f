"""Queued messages sent once per key; the hourly count covers everything a number is sent.

Revision ID: 0006_sends
Revises: 0005
Create Date: 2026-12-02 17:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_sends"
down_revision = "0005"
branch_labels = None
depends_on = None

COUNTED_OUTBOUND = sa.text("direction = 'outbound' AND status <> 'refused'")
REPLIES = sa.text("kind = 'reply'")


def upgrade() -> None:
    op.add_column("messages", sa.Column("dedupe_key", sa.String(128), nullable=True))
    op.create_index("ix_messages_dedupe_key", "messages", ["dedupe_key"], unique=True)
    op.drop_index("ix_messages_contact_replies", table_name="messages")
    op.create_index(
        "ix_messages_contact_outbound",
        "messages",
        ["contact_id", "created_at"],
        postgresql_where=COUNTED_OUTBOUND,
        sqlite_where=COUNTED_OUTBOUND,
    )


def downgrade() -> None:
    op.drop_index("ix_messages_contact_outbound", table_name="messages")
    op.create_index(
        "ix_messages_contact_replies",
        "messages",
        ["contact_id", "created_at"],
        postgresql_where=REPLIES,
        sqlite_where=REPLIES,
    )
    op.drop_index("ix_messages_dedupe_key", table_name="messages")
    op.drop_column("messages", "dedupe_key")
