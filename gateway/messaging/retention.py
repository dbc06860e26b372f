"""Forget what residents said after ``RETENTION_DAYS``: message bodies, numbers, search words,
the words of their reports and the conversations they left.

Rows that count stay, so statistics (segments per day, unmet needs per category, reports per
service) survive the purge: a report keeps its service, channel, language, date and status,
not its words. A conversation state holds nothing but the resident's place in the menus and
the words of her last search; once it expired that long ago it is deleted whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlalchemy.orm import Session

from gateway.models import ConversationState, Feedback, Message, SearchQuery


@dataclass(frozen=True)
class Purged:
    messages: int
    search_queries: int
    conversations: int
    reports: int


def purge_old_bodies(session: Session, now: datetime, days: int) -> Purged:
    """Blank bodies and numbers of messages, texts of searches and of reports, and delete
    conversation states, older than ``days``.

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
    reports = session.execute(
        update(Feedback)
        .where(Feedback.created_at < cutoff, Feedback.text != "")
        .values(text="")
        .returning(Feedback.id)
        .execution_options(synchronize_session="fetch")
    ).all()
    conversations = session.execute(
        delete(ConversationState)
        .where(ConversationState.expires_at < cutoff)
        .returning(ConversationState.contact_id)
        .execution_options(synchronize_session="fetch")
    ).all()
    return Purged(len(messages), len(queries), len(conversations), len(reports))
