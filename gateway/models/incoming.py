"""Changes an import held back because the service was edited here: the review queue."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.db import Base, UtcDateTime


class IncomingStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class IncomingChange(Base):
    """One incoming record for a locally edited service, waiting for a person's decision.

    ``record`` is the HSDS-shaped record the import would have applied, kept whole so that
    accepting it applies exactly what came in. The decision itself is in the audit trail.
    """

    __tablename__ = "incoming_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    service_id: Mapped[str] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[str] = mapped_column(Text)
    record: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(16), default=IncomingStatus.PENDING)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
