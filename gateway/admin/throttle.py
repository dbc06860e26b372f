"""Slowing password guessing at the login form without letting anyone lock a worker out.

Locking an account after a few wrong passwords hands every stranger a switch that turns a
social worker's account off. So failures are held against where they come from, following
the options of NIST SP 800-63B (§3.2.2 of revision 4) and OWASP's "slow down online guessing"
advice:

1. **An address and an account** (``LOGIN_MAX_FAILURES``): that many wrong passwords for one
   account from one address block that address for that account for
   ``LOGIN_LOCKOUT_MINUTES``. Only the person at that address suffers it; a success there
   clears it.
2. **An address** (``LOGIN_MAX_FAILURES_PER_ADDRESS``): that many wrong passwords from one
   address, whatever the accounts, block the address for every account it has not signed in
   to before: a guesser trying many accounts stops, a worker at their usual address does not.
3. **An account under a wide attack** (``LOGIN_ACCOUNT_SLOWDOWN_FAILURES``): past that many
   wrong passwords for one account from all addresses together, an address the account has
   not signed in from lately must wait before each try, a wait that doubles with every
   failure up to ``LOGIN_ACCOUNT_MAX_DELAY_SECONDS``. It is a delay, never a lock: a try after
   the wait is checked, and the addresses the account signed in from in the last
   ``KNOWN_ADDRESS_KEPT`` are not delayed at all (NIST's "addresses at which the subscriber
   has been successfully authenticated before").

A refused try does not check the password and is not recorded, so hammering costs us a few
indexed reads and does not lengthen anyone's wait; a checked one is a row of
``login_attempts``, kept a day (a success: ``KNOWN_ADDRESS_KEPT``, to know the addresses).
Counting in the database holds across processes without Redis. Rows name the account by a
keyed hash of the typed email (mistyped emails, or a password typed in the email field, are
never stored) and the address as seen through ``TRUSTED_PROXIES``; an IPv6 address counts as
its /64 network, which one subscriber holds whole. Each block is logged once, when it starts,
with the account's user id, never its email.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, or_, select
from sqlalchemy.orm import Session

from gateway.config import settings
from gateway.models import LoginAttempt

log = logging.getLogger(__name__)

FAILURES_KEPT = timedelta(days=1)
KNOWN_ADDRESS_KEPT = timedelta(days=30)


@dataclass(frozen=True)
class LoginLimits:
    per_account_and_address: int
    per_address: int
    lockout: timedelta
    account_slowdown_after: int
    account_max_delay: timedelta

    @classmethod
    def from_settings(cls) -> LoginLimits:
        config = settings()
        return cls(
            per_account_and_address=config.login_max_failures,
            per_address=config.login_max_failures_per_address,
            lockout=timedelta(minutes=config.login_lockout_minutes),
            account_slowdown_after=config.login_account_slowdown_failures,
            account_max_delay=timedelta(seconds=config.login_account_max_delay_seconds),
        )

    def account_delay(self, failures: int) -> timedelta:
        """How long a new address waits after the account's last failure."""
        if failures < self.account_slowdown_after:
            return timedelta(0)
        doublings = min(failures - self.account_slowdown_after, 30)
        return min(timedelta(seconds=2**doublings), self.account_max_delay)


def account_key(email: str) -> str:
    """The name of an account in ``login_attempts``: a keyed hash of the typed email."""
    key = settings().secret_key.encode("utf-8")
    return hmac.new(key, b"login:" + email.encode("utf-8"), hashlib.sha256).hexdigest()


def address_key(address: str | None) -> str:
    """An IPv4 address as it is, an IPv6 one as its /64 network."""
    try:
        parsed = ipaddress.ip_address(address or "")
    except ValueError:
        return "unknown"
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


@dataclass(frozen=True)
class Standing:
    """What the recent attempts say about one try: counts of wrong passwords in the window."""

    account: str
    address: str
    now: datetime
    pair_failures: int
    address_failures: int
    account_failures: int
    known_address: bool
    last_account_failure: datetime | None

    def refused(self, limits: LoginLimits) -> bool:
        if self.pair_failures >= limits.per_account_and_address:
            return True
        if self.known_address:
            return False
        if self.address_failures >= limits.per_address:
            return True
        wait = limits.account_delay(self.account_failures)
        return self.last_account_failure is not None and self.now < self.last_account_failure + wait


def standing(
    session: Session, account: str, address: str, limits: LoginLimits, now: datetime
) -> Standing:
    since = now - limits.lockout
    by_account = LoginAttempt.account == account
    by_address = LoginAttempt.address == address
    last_success = session.scalar(
        select(func.max(LoginAttempt.created_at)).where(
            by_account, by_address, LoginAttempt.succeeded.is_(True)
        )
    )
    pair_since = max(since, last_success) if last_success else since
    account_failures, last_account_failure = session.execute(
        select(func.count(LoginAttempt.id), func.max(LoginAttempt.created_at)).where(
            *_failures_since(since), by_account
        )
    ).one()
    return Standing(
        account=account,
        address=address,
        now=now,
        pair_failures=_count(session, *_failures_since(pair_since), by_account, by_address),
        address_failures=_count(session, *_failures_since(since), by_address),
        account_failures=account_failures,
        known_address=last_success is not None and last_success > now - KNOWN_ADDRESS_KEPT,
        last_account_failure=last_account_failure,
    )


def _failures_since(since: datetime) -> tuple[ColumnElement[bool], ...]:
    return (LoginAttempt.succeeded.is_(False), LoginAttempt.created_at > since)


def _count(session: Session, *where: ColumnElement[bool]) -> int:
    return session.scalar(select(func.count(LoginAttempt.id)).where(*where)) or 0


def record(
    session: Session,
    seen: Standing,
    succeeded: bool,
    user_id: int | None,
    limits: LoginLimits,
) -> None:
    """Store a checked try, forget the old ones, and log a block that this failure starts."""
    now = seen.now
    session.execute(
        delete(LoginAttempt).where(
            or_(
                LoginAttempt.created_at < now - KNOWN_ADDRESS_KEPT,
                LoginAttempt.succeeded.is_(False) & (LoginAttempt.created_at < now - FAILURES_KEPT),
            )
        )
    )
    session.add(
        LoginAttempt(
            created_at=now, account=seen.account, address=seen.address, succeeded=succeeded
        )
    )
    if succeeded:
        return
    who = user_id if user_id is not None else "unknown"
    minutes = int(limits.lockout.total_seconds() // 60)
    if seen.pair_failures + 1 == limits.per_account_and_address:
        log.warning(
            "login: account %s blocked from address %s for %s minutes after %s wrong passwords",
            who,
            seen.address,
            minutes,
            limits.per_account_and_address,
        )
    if seen.address_failures + 1 == limits.per_address:
        log.warning(
            "login: address %s blocked for %s minutes after %s wrong passwords",
            seen.address,
            minutes,
            limits.per_address,
        )
    if seen.account_failures + 1 == limits.account_slowdown_after:
        log.warning(
            "login: account %s slowed down for new addresses after %s wrong passwords",
            who,
            limits.account_slowdown_after,
        )
