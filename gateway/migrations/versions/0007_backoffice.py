"""Login attempts name the account by a keyed hash of the email typed, not the email.

The attempts on record (a day's worth) are dropped: they cannot be hashed without the key,
and they only slowed guessing.

Revision ID: 0006_backoffice
Revises: 0005
Create Date: 2026-11-29 17:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_backoffice"
down_revision = "0006_sends"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sa.text("DELETE FROM login_attempts"))
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_attempts_email"))
        batch_op.drop_column("email")
        batch_op.add_column(sa.Column("account", sa.String(length=64), nullable=False))
        batch_op.create_index(batch_op.f("ix_login_attempts_account"), ["account"], unique=False)


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM login_attempts"))
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_attempts_account"))
        batch_op.drop_column("account")
        batch_op.add_column(sa.Column("email", sa.String(length=254), nullable=False))
        batch_op.create_index(batch_op.f("ix_login_attempts_email"), ["email"], unique=False)
