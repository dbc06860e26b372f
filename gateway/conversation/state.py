"""Where a resident is in a conversation on one channel, kept between messages for a while.

A number means something only next to the list it was read from, so the last list (its
service ids, not its cards: a card is rebuilt with the hours of the moment), the page and the
menu level are kept per contact and channel. After ``CONVERSATION_TTL_MINUTES`` (30 by
default) of silence it is stale and the next message starts afresh: an old "2" must not pick
from a list the resident no longer has in mind.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Insert, bindparam, select
from sqlalchemy.orm import Session

from gateway.config import settings
from gateway.conversation.types import LocaleSource
from gateway.db import insert_in
from gateway.models import Contact, ConversationState


class Level(enum.StrEnum):
    """What the resident has in front of them, so a number or "more" has a meaning."""

    LANGUAGES = "languages"
    MENU = "menu"
    LIST = "list"
    SERVICE = "service"


@dataclass
class Listing:
    """The last list of services shown: how it was asked for, and its ids in order."""

    verb: str  # "search" or "category"
    arg: str  # the resident's words, or a category slug
    ids: list[str]
    category: str | None = None  # the best category of a search, for its title
    postcode: str | None = None  # the area a search named, to measure distances again
    district: str | None = None


@dataclass
class Conversation:
    level: Level | None = None
    locale: str | None = None
    locale_source: LocaleSource | None = None
    listing: Listing | None = None
    page: int = 0
    menu_page: int = 0
    service_id: str | None = None
    # Not stored: how this message found the conversation.
    is_new: bool = field(default=True, compare=False)
    expired: bool = field(default=False, compare=False)

    def to_data(self) -> dict[str, Any]:
        return {
            "level": self.level.value if self.level else None,
            "locale": self.locale,
            "locale_source": self.locale_source.value if self.locale_source else None,
            "listing": vars(self.listing).copy() if self.listing else None,
            "page": self.page,
            "menu_page": self.menu_page,
            "service_id": self.service_id,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Conversation:
        """The stored conversation; anything unreadable (an older shape) starts afresh."""
        try:
            listing = data.get("listing")
            return cls(
                level=Level(data["level"]) if data.get("level") else None,
                locale=data.get("locale"),
                locale_source=(
                    LocaleSource(data["locale_source"]) if data.get("locale_source") else None
                ),
                listing=Listing(**listing) if listing else None,
                page=int(data.get("page", 0)),
                menu_page=int(data.get("menu_page", 0)),
                service_id=data.get("service_id"),
                is_new=False,
            )
        except (KeyError, TypeError, ValueError):
            return cls()


def ttl() -> timedelta:
    return timedelta(minutes=settings().conversation_ttl_minutes)


# Built once: the state is read and written on every message.
_READ = select(ConversationState.data, ConversationState.expires_at).where(
    ConversationState.contact_id == bindparam("contact_id"),
    ConversationState.channel == bindparam("channel"),
)


@cache
def _write(dialect: str) -> Insert:
    """The statement that stores a state whether or not the contact has one."""
    insert = insert_in(dialect, ConversationState)
    return insert.on_conflict_do_update(
        index_elements=[ConversationState.contact_id, ConversationState.channel],
        set_={"data": insert.excluded.data, "expires_at": insert.excluded.expires_at},
    )


def load(session: Session, contact: Contact, channel: str, now: datetime) -> Conversation:
    """The contact's conversation on ``channel``; a fresh one if none or stale at ``now``.

    Read as plain values: :func:`save` writes it back in one statement, so the session
    tracks no row of it.
    """
    row = (
        session.connection().execute(_READ, {"contact_id": contact.id, "channel": channel}).first()
    )
    if row is None:
        return Conversation()
    if row.expires_at <= now:
        return Conversation(expired=True)
    return Conversation.from_data(row.data or {})


def save(
    session: Session, contact: Contact, channel: str, conversation: Conversation, now: datetime
) -> None:
    """Store the conversation, to expire ``ttl()`` after ``now``: one statement, whether the
    contact had a conversation on ``channel`` or not (``ON CONFLICT DO UPDATE``). Another
    message of the contact that stored one meanwhile is replaced: the later message's state
    wins, as it would had they come one after the other, and neither fails.
    """
    connection = session.connection()
    connection.execute(
        _write(connection.dialect.name),
        {
            "contact_id": contact.id,
            "channel": channel,
            "data": conversation.to_data(),
            "expires_at": (now + ttl()).astimezone(UTC),
        },
    )
