"""Account operations, shared by the ``guichet user`` commands and the accounts pages.

Like directory operations they take the acting user (or ``"cli"``), flush without
committing, and write the audit trail. Passwords never enter the trail: a change shows as
``password`` with both values hidden. Wherever a password is set (``guichet user create``, the
accounts pages, a worker changing their own) it meets :mod:`gateway.admin.passwords`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import clock
from gateway.admin import passwords
from gateway.admin.auth import hash_password, normalize_email
from gateway.audit import Actor, Changes, diff, iso, record
from gateway.directory.operations import OperationError
from gateway.models import Organization, User, UserRole
from gateway.models.admin import new_session_token
from gateway.search.normalize import words

HIDDEN = "********"


@dataclass
class AccountData:
    email: str
    role: UserRole = UserRole.EDITOR
    organization_ids: list[str] = field(default_factory=list)
    all_organizations: bool = False

    @classmethod
    def of(cls, user: User) -> AccountData:
        return cls(
            user.email, user.role, [o.id for o in user.organizations], user.all_organizations
        )


def user_snapshot(user: User) -> dict[str, Any]:
    return {
        "email": user.email,
        "role": UserRole(user.role).value,
        "all_organizations": bool(user.all_organizations),
        "organizations": sorted(o.id for o in user.organizations),
        "disabled_at": iso(user.disabled_at),
    }


def find_user(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalize_email(email)))


def require_good_password(password: str, email: str) -> None:
    """Refuse a password :mod:`gateway.admin.passwords` finds too easy to guess."""
    problem = passwords.problem(password, email)
    if problem is not None:
        raise OperationError("password", problem)


def _hashed(password: str) -> str:
    return hash_password(passwords.normalize(password))


def _organizations(session: Session, ids: Iterable[str]) -> list[Organization]:
    wanted = list(dict.fromkeys(ids))
    found = {
        o.id: o for o in session.scalars(select(Organization).where(Organization.id.in_(wanted)))
    }
    unknown = [i for i in wanted if i not in found]
    if unknown:
        raise OperationError("organizations", f"unknown organisation(s) {', '.join(unknown)}")
    return [found[i] for i in wanted]


def organization_ids(session: Session, references: Iterable[str]) -> list[str]:
    """The ids of organisations given by id or by name, as a person types them.

    Nobody remembers a UUID: a name matches without regard to case, accents or spacing, whole
    or as the only name that contains it; a name that fits several organisations is refused
    with their ids, so that the command can be typed again with the right one.
    """
    organizations = list(session.scalars(select(Organization).order_by(Organization.name)))
    by_id = {o.id: o for o in organizations}
    ids = []
    for reference in references:
        if reference in by_id:
            ids.append(reference)
            continue
        typed = _folded(reference)
        matches = [o for o in organizations if _folded(o.name) == typed] or [
            o for o in organizations if typed and typed in _folded(o.name)
        ]
        if not matches:
            raise OperationError(
                "organizations", f"no organisation is named {reference!r} (guichet org list)"
            )
        if len(matches) > 1:
            names = "; ".join(f"{o.name} ({o.id})" for o in matches)
            raise OperationError(
                "organizations", f"{reference!r} fits several organisations: {names}"
            )
        ids.append(matches[0].id)
    return ids


def _folded(name: str) -> str:
    return " ".join(words(name))


def _assign(session: Session, user: User, data: AccountData) -> None:
    email = normalize_email(data.email)
    if "@" not in email or len(email) > 254:
        raise OperationError("email", f"not an email address: {data.email!r}")
    other = find_user(session, email)
    if other is not None and other is not user:
        raise OperationError("email", f"an account already uses {email}")
    user.email = email
    user.role = UserRole(data.role)
    user.all_organizations = data.all_organizations
    organizations = _organizations(session, data.organization_ids)
    if [o.id for o in user.organizations] != [o.id for o in organizations]:
        user.organizations = organizations


def create_user(
    session: Session, actor: Actor, data: AccountData, password: str, at: datetime | None = None
) -> User:
    require_good_password(password, data.email)
    user = User(password_hash=_hashed(password), organizations=[])
    _assign(session, user, data)
    session.add(user)
    session.flush()
    changes = {
        name: {"old": None, "new": value}
        for name, value in user_snapshot(user).items()
        if value not in (None, [], False)
    }
    record(session, actor, "user.create", "user", user.id, changes, at=at)
    session.flush()
    return user


def _change(
    session: Session,
    actor: Actor,
    user: User,
    action: str,
    mutate: Any,
    at: datetime | None,
    extra: Changes | None = None,
) -> Changes:
    before = user_snapshot(user)
    mutate()
    session.flush()
    changes = diff(before, user_snapshot(user)) | (extra or {})
    if changes:
        record(session, actor, action, "user", user.id, changes, at=at)
        session.flush()
    return changes


def update_user(
    session: Session,
    actor: Actor,
    user: User,
    data: AccountData,
    password: str | None = None,
    at: datetime | None = None,
) -> Changes:
    """Change the account; a new ``password`` also ends the account's open sessions."""
    if password:
        require_good_password(password, data.email)

    def mutate() -> None:
        _assign(session, user, data)
        if password:
            user.password_hash = _hashed(password)
            user.session_token = new_session_token()

    extra = {"password": {"old": HIDDEN, "new": HIDDEN}} if password else None
    return _change(session, actor, user, "user.update", mutate, at, extra)


def disable_user(session: Session, actor: Actor, user: User, at: datetime | None = None) -> Changes:
    """The account can no longer log in, and its open sessions end now."""
    at = at or clock.now()

    def mutate() -> None:
        if user.disabled_at is None:
            user.disabled_at = at
            user.session_token = new_session_token()

    return _change(session, actor, user, "user.disable", mutate, at)


def enable_user(session: Session, actor: Actor, user: User, at: datetime | None = None) -> Changes:
    def mutate() -> None:
        user.disabled_at = None

    return _change(session, actor, user, "user.enable", mutate, at)
