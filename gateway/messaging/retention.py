"""Forget what residents said after ``RETENTION_DAYS``: message bodies, numbers, search words.

Rows stay, so statistics (segments per day, unmet needs per category) survive the purge.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from gateway.models import Message, SearchQuery


@dataclass(frozen=True)
class Purged:
    messages: int
    search_queries: int


def purge_old_bodies(session: Session, now: datetime, days: int) -> Purged:
    """Blank bodies and numbers of messages, and texts of searches, older than ``days``.

    Rows loaded in ``session`` are synchronised by primary key ("fetch"): SQLite hands back
    naive datetimes, which the in-Python "evaluate" strategy cannot compare with ``now``.
    """
    cutoff = now.astimezone(UTC) - timedelta(days=days)
    messages = session.execute(
        update(Message)
        .where(
            Message.created_at < cutoff,
            or_(Message.body.is_not(None), Message.to_number.is_not(None)),
        )
        .values(body=None, to_number=None)
        .returning(Message.id)
        .execution_options(synchronize_session="fetch")
    ).all()
    queries = session.execute(
        update(SearchQuery)
        .where(SearchQuery.created_at < cutoff, SearchQuery.text.is_not(None))
        .values(text=None)
        .returning(SearchQuery.id)
        .execution_options(synchronize_session="fetch")
    ).all()
    return Purged(len(messages), len(queries))
