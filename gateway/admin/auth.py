"""Who is using the back office, and what they may touch.

Passwords are hashed with werkzeug's scrypt. Logins are slowed per account and per address by
counting recent failures in the database (so it holds across processes without Redis): past
the limit even the right password is refused, with the same message as a wrong one.

A session holds the user's id and session token; the token changes when the password changes
or the account is disabled, which ends every session of that account. A session left idle
longer than ``ADMIN_IDLE_MINUTES`` ends too.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from flask import current_app, g, session
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from gateway.audit import utcnow
from gateway.models import LoginAttempt, Organization, Service, User

SESSION_USER = "admin_user"
SESSION_SEEN = "admin_seen"
MIN_PASSWORD_LENGTH = 12
ATTEMPTS_KEPT = timedelta(days=1)


def hash_password(password: str) -> str:
    return generate_password_hash(password)


@cache
def _decoy_hash() -> str:
    """A hash to check unknown emails against, so that they take as long as known ones."""
    return generate_password_hash("not the password of anyone")


def normalize_email(email: str) -> str:
    return email.strip().lower()


@dataclass(frozen=True)
class LoginLimits:
    max_failures: int
    max_failures_per_address: int
    lockout: timedelta

    @classmethod
    def from_config(cls) -> LoginLimits:
        config = current_app.config
        return cls(
            config["LOGIN_MAX_FAILURES"],
            config["LOGIN_MAX_FAILURES_PER_ADDRESS"],
            timedelta(minutes=config["LOGIN_LOCKOUT_MINUTES"]),
        )


def authenticate(
    session_: Session,
    email: str,
    password: str,
    address: str,
    limits: LoginLimits,
    now: datetime | None = None,
) -> User | None:
    """The active user with this email and password, unless this account or address failed
    too often lately. Records the attempt; the caller commits it, success or not."""
    now = now or utcnow()
    email = normalize_email(email)[:254]
    address = (address or "unknown")[:64]
    session_.execute(delete(LoginAttempt).where(LoginAttempt.created_at < now - ATTEMPTS_KEPT))
    since = now - limits.lockout
    last_success = session_.scalar(
        select(func.max(LoginAttempt.created_at)).where(
            LoginAttempt.email == email, LoginAttempt.succeeded.is_(True)
        )
    )
    account_since = max(since, last_success) if last_success else since
    account_failures = _failures(session_, LoginAttempt.email == email, account_since)
    address_failures = _failures(session_, LoginAttempt.address == address, since)

    user = session_.scalar(select(User).where(User.email == email))
    password_ok = check_password_hash(user.password_hash if user else _decoy_hash(), password)
    succeeded = (
        user is not None
        and password_ok
        and user.active
        and account_failures < limits.max_failures
        and address_failures < limits.max_failures_per_address
    )
    session_.add(LoginAttempt(created_at=now, email=email, address=address, succeeded=succeeded))
    if not succeeded or user is None:
        return None
    user.last_login_at = now
    return user


def _failures(session_: Session, who, since: datetime) -> int:  # type: ignore[no-untyped-def]
    return (
        session_.scalar(
            select(func.count(LoginAttempt.id)).where(
                who, LoginAttempt.succeeded.is_(False), LoginAttempt.created_at > since
            )
        )
        or 0
    )


def _clear_session() -> None:
    """Forget the session, and the CSRF token Flask-WTF keeps for it in ``g``."""
    session.clear()
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)


def log_in(user: User, now: datetime | None = None) -> None:
    """Start a fresh session for ``user`` (nothing of the anonymous one is kept)."""
    _clear_session()
    session.permanent = True
    session[SESSION_USER] = f"{user.id}:{user.session_token}"
    session[SESSION_SEEN] = int((now or utcnow()).timestamp())


def log_out() -> None:
    _clear_session()


def session_user(session_: Session, now: datetime | None = None) -> User | None:
    """The user of this request's session, if it is still valid; an ended one is cleared."""
    raw = session.get(SESSION_USER)
    if not isinstance(raw, str) or ":" not in raw:
        return None
    user_id, token = raw.split(":", 1)
    now = now or utcnow()
    idle = timedelta(minutes=current_app.config["ADMIN_IDLE_MINUTES"])
    seen = session.get(SESSION_SEEN)
    user = session_.get(User, int(user_id)) if user_id.isdigit() else None
    if (
        user is None
        or not user.active
        or not hmac.compare_digest(user.session_token, token)
        or not isinstance(seen, int)
        or now.timestamp() - seen > idle.total_seconds()
    ):
        _clear_session()
        return None
    session[SESSION_SEEN] = int(now.timestamp())
    return user


# --------------------------------------------------------------------------------------------
# Permissions
# --------------------------------------------------------------------------------------------


def editable_organization_ids(user: User) -> set[str] | None:
    """The organisations whose services ``user`` may edit; None means all of them."""
    if user.is_admin or user.all_organizations:
        return None
    return {organization.id for organization in user.organizations}


def can_edit_organization(user: User, organization_id: str) -> bool:
    allowed = editable_organization_ids(user)
    return allowed is None or organization_id in allowed


def can_edit_service(user: User, service: Service) -> bool:
    return can_edit_organization(user, service.organization_id)


def can_manage_organizations(user: User) -> bool:
    """Create, archive and restore organisations: the city's people, not each association."""
    return user.is_admin or user.all_organizations


def can_manage_accounts(user: User) -> bool:
    return user.is_admin


def service_scope(user: User):  # type: ignore[no-untyped-def]
    """A WHERE clause limiting services to those ``user`` may edit."""
    allowed = editable_organization_ids(user)
    if allowed is None:
        return Service.id.is_not(None)
    return Service.organization_id.in_(sorted(allowed))


def organization_scope(user: User):  # type: ignore[no-untyped-def]
    allowed = editable_organization_ids(user)
    if allowed is None:
        return Organization.id.is_not(None)
    return Organization.id.in_(sorted(allowed))
