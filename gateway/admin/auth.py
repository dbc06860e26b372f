"""Who is using the back office, and what they may touch.

Passwords are hashed with werkzeug's scrypt, in their NFKC form (see
:mod:`gateway.admin.passwords`). Guessing is slowed per address and account, never by
locking an account (see :mod:`gateway.admin.throttle`): a refused try gets the same message
as a wrong password.

A session holds the user's id and the account's session token, the way Flask-Login's
"alternative tokens" do (``get_id`` returning a token that changes when the session must
end). The token changes on signing out, on a password change or reset and when the account is
disabled, so a copy of the cookie taken before then is worth nothing after: signing out signs
out every browser of the account. A session left idle longer than ``ADMIN_IDLE_MINUTES`` ends
too. Flask-Login itself is not used: the whole back office is guarded by one
``before_request`` rather than per-view decorators, there is no "remember me" cookie to turn
off, and what it would add (its own session keys, freshness, a user loader) is not needed;
what it does not do (a fresh session and CSRF token at login, idle expiry) is done here.
"""

from __future__ import annotations

import hmac
from datetime import datetime
from functools import cache

from flask import current_app, g, session
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from gateway import clock
from gateway.admin import passwords, throttle
from gateway.admin.throttle import LoginLimits
from gateway.config import settings
from gateway.models import Organization, Service, User
from gateway.models.admin import new_session_token

SESSION_USER = "admin_user"
SESSION_SEEN = "admin_seen"


def hash_password(password: str) -> str:
    """The hash of an already normalised password (:func:`passwords.normalize`)."""
    return generate_password_hash(password)


def check_password(password_hash: str, password: str) -> bool:
    """Does ``password`` match? Its NFKC form is what is hashed; the form as typed is also
    tried when it differs, for a hash made before passwords were normalised."""
    normalized = passwords.normalize(password)
    if check_password_hash(password_hash, normalized):
        return True
    return normalized != password and check_password_hash(password_hash, password)


@cache
def _decoy_hash() -> str:
    """A hash to check unknown emails against, so that they take as long as known ones."""
    return generate_password_hash("not the password of anyone")


def normalize_email(email: str) -> str:
    return email.strip().lower()


def authenticate(
    session_: Session,
    email: str,
    password: str,
    address: str | None,
    limits: LoginLimits,
    now: datetime | None = None,
) -> User | None:
    """The active user with this email and password, unless tries from this address are
    being slowed. Records a checked try; the caller commits it, success or not."""
    now = now or clock.now()
    email = normalize_email(email)[:254]
    seen = throttle.standing(
        session_, throttle.account_key(email), throttle.address_key(address), limits, now
    )
    if seen.refused(limits):
        return None
    user = session_.scalar(select(User).where(User.email == email))
    password_ok = check_password(user.password_hash if user else _decoy_hash(), password)
    succeeded = user is not None and password_ok and user.active
    throttle.record(session_, seen, succeeded, user.id if user else None, limits)
    if not succeeded or user is None:
        return None
    user.last_login_at = now
    return user


def _clear_session() -> None:
    """Forget the session, and the CSRF token Flask-WTF keeps for it in ``g``."""
    session.clear()
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)


def log_in(user: User, now: datetime | None = None) -> None:
    """Start a fresh session for ``user`` (nothing of the anonymous one is kept)."""
    _clear_session()
    session.permanent = True
    session[SESSION_USER] = f"{user.id}:{user.session_token}"
    session[SESSION_SEEN] = int((now or clock.now()).timestamp())


def log_out(user: User | None) -> None:
    """End every session of ``user``, this one included; the caller commits."""
    if user is not None:
        user.session_token = new_session_token()
    _clear_session()


def session_user(session_: Session, now: datetime | None = None) -> User | None:
    """The user of this request's session, if it is still valid; an ended one is cleared."""
    raw = session.get(SESSION_USER)
    if not isinstance(raw, str) or ":" not in raw:
        return None
    user_id, token = raw.split(":", 1)
    now = now or clock.now()
    idle = settings().admin_idle_minutes * 60
    seen = session.get(SESSION_SEEN)
    user = session_.get(User, int(user_id)) if user_id.isdigit() else None
    if (
        user is None
        or not user.active
        or not hmac.compare_digest(user.session_token, token)
        or not isinstance(seen, int)
        or now.timestamp() - seen > idle
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
