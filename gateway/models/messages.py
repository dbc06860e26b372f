"""Every message in and out, stored before it is answered or sent.

Inbound rows are written first thing in a webhook, so nothing a resident sends is lost.
Outbound rows are written before their job is queued; the job takes the row's id. Bodies are
purged after ``RETENTION_DAYS``; ``to_number`` is cleared once a message reached a final state.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, SmallInteger, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db import Base, UtcDateTime
from gateway.models.directory import _enum


class Direction(enum.StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class MessageKind(enum.StrEnum):
    MESSAGE = "message"  # an inbound message from a resident
    REPLY = "reply"  # the answer returned in the webhook response
    HANDOFF = "handoff"  # details sent by SMS from the voice menu
    ALERT = "alert"
    CONFIRMATION = "confirmation"


# Sent by a job after their request, not in a webhook's response (gateway.messaging.outbox).
QUEUED_KINDS = frozenset({MessageKind.HANDOFF, MessageKind.ALERT, MessageKind.CONFIRMATION})


class MessageStatus(enum.StrEnum):
    RECEIVED = "received"
    ANSWERED = "answered"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    REFUSED = "refused"  # never sent: opted out, over a cap, or a permanent provider refusal


class Message(Base):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    direction: Mapped[Direction] = mapped_column(_enum(Direction, "direction"))
    kind: Mapped[MessageKind] = mapped_column(_enum(MessageKind, "message_kind"))
    channel: Mapped[str] = mapped_column(String(16), default="sms")
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True
    )
    # Twilio's MessageSid: inbound, to answer a retried webhook once; outbound, for callbacks.
    provider_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    # What a queued message is the one send of ("handoff:<call>:<service id>"): a second
    # request for it (a replayed or concurrent webhook) fails the insert instead of sending again.
    dedupe_key: Mapped[str | None] = mapped_column(String(128), unique=True, index=True)
    in_reply_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL"), index=True
    )
    to_number: Mapped[str | None] = mapped_column(String(32))
    body: Mapped[str | None] = mapped_column(Text)
    locale: Mapped[str | None] = mapped_column(String(8))
    encoding: Mapped[str | None] = mapped_column(String(8))
    segments: Mapped[int | None] = mapped_column(SmallInteger)
    status: Mapped[MessageStatus] = mapped_column(_enum(MessageStatus, "message_status"))
    error_code: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(
        UtcDateTime(), server_default=func.now(), index=True
    )
    updated_at: Mapped[datetime] = mapped_column(
        UtcDateTime(), server_default=func.now(), onupdate=func.now()
    )
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    # Each answer reads the day's segments (the daily cap) and what the number was sent lately
    # (the hourly limit): partial indexes hold only the rows those count, so that neither
    # read grows with inbound traffic or refusals, a flood from one number included.
    __table_args__ = (
        Index(
            "ix_messages_counted_outbound",
            "created_at",
            "segments",
            postgresql_where=text("direction = 'outbound' AND status <> 'refused'"),
            sqlite_where=text("direction = 'outbound' AND status <> 'refused'"),
        ),
        Index(
            "ix_messages_contact_outbound",
            "contact_id",
            "created_at",
            postgresql_where=text("direction = 'outbound' AND status <> 'refused'"),
            sqlite_where=text("direction = 'outbound' AND status <> 'refused'"),
        ),
    )


class DailySegments(Base):
    """The segments the city's outbound messages took on one day (its own clock), counted as
    they are stored, so the daily cap is one row updated, not a sum over the day's messages.

    ``queued`` is the part of ``total`` taken by queued messages (hand-offs, alerts,
    confirmations), which may use only a share of the cap. See :mod:`gateway.messaging.budget`.
    """

    __tablename__ = "daily_segments"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    total: Mapped[int] = mapped_column(Integer, default=0)
    queued: Mapped[int] = mapped_column(Integer, default=0)
