"""Residents who wrote or called, known by a keyed hash of their number, and what they said.

A clear phone number is stored only where the resident opted in to receive messages
(``Contact.phone_number``); everything else keys on ``phone_hash``. "Forget me" deletes the
contact row, and the cascades below take their state and reports' link with it.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db import Base, UtcDateTime
from gateway.models.directory import _enum


class Contact(Base):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # ISO country calling code (e.g. "33"), kept for language guessing; not identifying.
    country_code: Mapped[str | None] = mapped_column(String(4))
    locale: Mapped[str | None] = mapped_column(String(8))
    postcode: Mapped[str | None] = mapped_column(String(16))
    opted_out_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Set only while the resident subscribes to messages (alerts); cleared on STOP or FORGET.
    phone_number: Mapped[str | None] = mapped_column(String(32))
    subscribed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())
    # The day (midnight UTC) of the latest message or call, not its hour: see ``mark_seen``.
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())


class ConversationState(Base):
    """Where a contact is in a conversation on one channel; stale after ``expires_at``."""

    __tablename__ = "conversation_states"

    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())


class FeedbackStatus(enum.StrEnum):
    NEW = "new"
    REVIEWED = "reviewed"
    DISMISSED = "dismissed"


class Feedback(Base):
    """A resident's report about a service ("AVIS 2 fermé"), for the social workers' queue."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[str] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), index=True
    )
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    locale: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[FeedbackStatus] = mapped_column(
        _enum(FeedbackStatus, "feedback_status"), default=FeedbackStatus.NEW
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), server_default=func.now())
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class SearchQuery(Base):
    """One question asked, for the open statistics of unmet needs. Never linked to a person."""

    __tablename__ = "search_queries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(
        UtcDateTime(), server_default=func.now(), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    locale: Mapped[str] = mapped_column(String(8))
    # The normalised words, purged after RETENTION_DAYS like message bodies.
    text: Mapped[str | None] = mapped_column(String(500))
    category: Mapped[str | None] = mapped_column(String(32))
    area: Mapped[str | None] = mapped_column(String(120))
    result_count: Mapped[int] = mapped_column(Integer, default=0)
    reasons: Mapped[list] = mapped_column(JSON, default=list)

    @property
    def no_result(self) -> bool:
        return self.result_count == 0
