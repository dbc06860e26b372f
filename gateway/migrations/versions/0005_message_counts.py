"""Partial indexes for what each answer counts: the day's segments, a number's recent replies.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 21:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

COUNTED_OUTBOUND = sa.text("direction = 'outbound' AND status <> 'refused'")
REPLIES = sa.text("kind = 'reply'")


def upgrade() -> None:
    op.create_index(
        "ix_messages_counted_outbound",
        "messages",
        ["created_at", "segments"],
        postgresql_where=COUNTED_OUTBOUND,
        sqlite_where=COUNTED_OUTBOUND,
    )
    op.create_index(
        "ix_messages_contact_replies",
        "messages",
        ["contact_id", "created_at"],
        postgresql_where=REPLIES,
        sqlite_where=REPLIES,
    )


def downgrade() -> None:
    op.drop_index("ix_messages_contact_replies", table_name="messages")
    op.drop_index("ix_messages_counted_outbound", table_name="messages")
