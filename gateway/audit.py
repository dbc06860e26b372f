"""The audit trail: who changed what, when, with the old and new values.

Writers (directory operations, account operations, imports) take a snapshot of an entity's
fields as plain JSON values before and after a change, and :func:`record` stores the fields
that differ. Readers get a service's history or the recent changes everywhere.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

import gateway.clock
from gateway.models import AuditEntry, User

# Who acts: a logged-in user, or a label for writers without an account ("cli", "import").
Actor = User | str

Changes = dict[str, dict[str, Any]]


def as_utc(moment: datetime) -> datetime:
    """Aware UTC; a naive value (an ISO moment written without an offset) is taken as UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def iso(moment: datetime | None) -> str | None:
    """A moment as it is kept in snapshots: ISO 8601 in UTC, to the second."""
    if moment is None:
        return None
    return as_utc(moment).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def clock(value: time) -> str:
    """A time of day in ISO 8601, ``HH:MM``, with the seconds only when it has some: how the
    trail and HSDS write opening hours."""
    return value.strftime("%H:%M:%S" if value.second else "%H:%M")


def plain(value: Any) -> Any:
    """A field's value as the snapshots keep it, in JSON: enums by value, moments by
    :func:`iso`, days and times in ISO 8601, lists copied and mappings sorted by key."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return clock(value)
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> Changes:
    """``{field: {"old": …, "new": …}}`` for every field whose value differs."""
    changes: Changes = {}
    for name in sorted(before.keys() | after.keys()):
        old, new = before.get(name), after.get(name)
        if old != new:
            changes[name] = {"old": old, "new": new}
    return changes


def actor_label(actor: Actor) -> str:
    return actor.email if isinstance(actor, User) else actor


def record(
    session: Session,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: str | int | None,
    changes: Changes | None = None,
    details: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Add one entry to the trail (flushed with the change it describes, never committed)."""
    entry = AuditEntry(**entry_values(actor, action, entity_type, entity_id, changes, details, at))
    session.add(entry)
    return entry


def entry_values(
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: str | int | None,
    changes: Changes | None = None,
    details: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """An entry's columns, for :func:`record` and for writers that insert many at once."""
    return {
        "created_at": at or gateway.clock.now(),
        "actor_id": actor.id if isinstance(actor, User) else None,
        "actor": actor_label(actor),
        "action": action,
        "entity_type": entity_type,
        "entity_id": None if entity_id is None else str(entity_id),
        "changes": changes or {},
        "details": dict(details or {}),
    }


def history(session: Session, entity_type: str, entity_id: str | int) -> list[AuditEntry]:
    """An entity's entries, newest first."""
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == str(entity_id))
            .order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
        )
    )


def recent_query(hide: tuple[str, ...] = ()) -> Select[AuditEntry]:
    """Every entry (but those about the entity types in ``hide``), newest first."""
    query = select(AuditEntry)
    if hide:
        query = query.where(AuditEntry.entity_type.not_in(hide))
    return query.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())


def recent(session: Session, limit: int = 50) -> list[AuditEntry]:
    """The ``limit`` latest entries."""
    return list(session.scalars(recent_query().limit(limit)))
