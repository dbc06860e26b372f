"""The back office: social workers' accounts, their login attempts, and the audit trail.

Accounts are never deleted, only disabled, so that the trail keeps naming who did what.
"""

from __future__ import annotations

import enum
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gateway.db import Base, UtcDateTime
from gateway.models.directory import ID_LENGTH, Organization, _enum


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class UserRole(enum.StrEnum):
    EDITOR = "editor"  # services of their organisations (or all, with ``all_organizations``)
    ADMIN = "admin"  # everything, accounts included


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[UserRole] = mapped_column(_enum(UserRole, "user_role"), default=UserRole.EDITOR)
    all_organizations: Mapped[bool] = mapped_column(Boolean, default=False)
    # Part of the login cookie; rotated on sign-out, password change and disabling, which ends
    # every session of the account.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    organizations: Mapped[list[Organization]] = relationship(
        secondary="user_organizations", order_by="Organization.name"
    )

    @property
    def is_admin(self) -> bool:
        return self.role is UserRole.ADMIN

    @property
    def edits_nothing(self) -> bool:
        """An editor attached to no organisation: nothing in the back office is theirs."""
        return not (self.is_admin or self.all_organizations or self.organizations)

    @property
    def active(self) -> bool:
        return self.disabled_at is None


class UserOrganization(Base):
    __tablename__ = "user_organizations"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id"), primary_key=True, index=True
    )


class LoginAttempt(Base):
    """One checked password, to slow guessing across processes (see ``gateway.admin.throttle``).

    ``account`` is a keyed hash of the email typed, never the email itself.
    """

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    account: Mapped[str] = mapped_column(String(64), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)


class AuditEntry(Base):
    """Who changed what, when: ``changes`` maps a field to ``{"old": …, "new": …}``.

    ``actor`` is the user's email at the time, or a label for other writers ("cli",
    "import"); ``details`` carries what is not a field change (an import's counts).
    """

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), index=True)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
