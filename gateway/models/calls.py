"""Voice calls, one row each, for the statistics: how long, how they ended, what they led to.

A row knows no caller: not the number, not the contact. Twilio's ``CallSid`` (an opaque id of
the call, not of a person) ties the webhook turns and the status callback to the same row.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Integer, SmallInteger, String, func
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db import Base, UtcDateTime
from gateway.models.directory import _enum


class CallStatus(enum.StrEnum):
    """Twilio's ``CallStatus`` values; the last five are final."""

    QUEUED = "queued"
    RINGING = "ringing"
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    FAILED = "failed"
    CANCELED = "canceled"

    @property
    def final(self) -> bool:
        return self in _FINAL


_FINAL = frozenset(
    {CallStatus.COMPLETED, CallStatus.BUSY, CallStatus.NO_ANSWER, CallStatus.FAILED}
    | {CallStatus.CANCELED}
)


class Call(Base):
    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[CallStatus] = mapped_column(_enum(CallStatus, "call_status"))
    locale: Mapped[str | None] = mapped_column(String(8))  # the menu's language when it ended
    duration_seconds: Mapped[int | None] = mapped_column(Integer)
    transferred: Mapped[bool] = mapped_column(Boolean, default=False)  # put through to the helpline
    texts_sent: Mapped[int] = mapped_column(SmallInteger, default=0)  # "#" handoffs queued
    created_at: Mapped[datetime] = mapped_column(
        UtcDateTime(), server_default=func.now(), index=True
    )
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
