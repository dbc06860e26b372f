"""Guessing is slowed where it comes from; nobody can lock a worker out of their account."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from gateway import clock
from gateway.admin import auth, throttle
from gateway.admin.throttle import LoginLimits
from gateway.db import db
from gateway.models import LoginAttempt
from tests.admin.conftest import PASSWORD, AdminClient

# Both databases: the attempts that slow guessing are counted on each.
pytestmark = pytest.mark.backends("sqlite", "postgresql")

GENERIC = "We could not sign you in with this email and password."
ATTACKER = "203.0.113.9"
WORKER = "198.51.100.20"
LIMITS = LoginLimits(
    per_account_and_address=5,
    per_address=20,
    lockout=timedelta(minutes=15),
    account_slowdown_after=20,
    account_max_delay=timedelta(seconds=60),
)


def browser_at(app, address: str) -> AdminClient:  # type: ignore[no-untyped-def]
    client = app.test_client()
    client.environ_base.update(REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE="en")
    return AdminClient(client)


def attempt(email: str, password: str, address: str, when):  # type: ignore[no-untyped-def]
    return auth.authenticate(db.session, email, password, address, LIMITS, when)


def test_a_guesser_does_not_lock_the_worker_out(app, make_user) -> None:
    make_user("worker@example.org")
    attacker = browser_at(app, ATTACKER)
    for n in range(30):
        assert attacker.login("worker@example.org", f"guess number {n}").status_code == 422
    slowed = attacker.login("worker@example.org", PASSWORD)  # even the right one, from there
    assert slowed.status_code == 422
    assert GENERIC in slowed.get_data(as_text=True)
    assert attacker.get("/admin/").status_code == 302

    worker = browser_at(app, WORKER)
    assert worker.login("worker@example.org").status_code == 303
    assert worker.get("/admin/").status_code == 200


def test_refused_tries_are_not_checked_nor_stored(app, make_user) -> None:
    make_user("worker@example.org")
    now = clock.now()
    for _ in range(30):
        attempt("worker@example.org", "guess", ATTACKER, now)
    assert db.session.query(LoginAttempt).count() == LIMITS.per_account_and_address


def test_the_block_lifts_after_the_lockout(app, make_user) -> None:
    make_user("worker@example.org")
    start = clock.now()
    for _ in range(LIMITS.per_account_and_address):
        attempt("worker@example.org", "guess", WORKER, start)
    assert attempt("worker@example.org", PASSWORD, WORKER, start) is None
    later = start + LIMITS.lockout + timedelta(seconds=1)
    assert attempt("worker@example.org", PASSWORD, WORKER, later) is not None


def test_a_success_clears_the_address_s_count_for_the_account(app, make_user) -> None:
    make_user("worker@example.org")
    now = clock.now()
    for _ in range(LIMITS.per_account_and_address - 1):
        attempt("worker@example.org", "typo", WORKER, now)
    assert attempt("worker@example.org", PASSWORD, WORKER, now)
    later = now + timedelta(seconds=1)
    for _ in range(LIMITS.per_account_and_address - 1):
        attempt("worker@example.org", "typo", WORKER, later)
    assert attempt("worker@example.org", PASSWORD, WORKER, later)


def test_an_address_trying_many_accounts_is_blocked_for_all_it_never_used(app, make_user) -> None:
    make_user("worker@example.org")
    make_user("colleague@example.org")
    now = clock.now()
    assert attempt("colleague@example.org", PASSWORD, ATTACKER, now - timedelta(days=2))
    for n in range(LIMITS.per_address):
        attempt(f"someone{n}@example.org", "guess", ATTACKER, now)
    assert attempt("worker@example.org", PASSWORD, ATTACKER, now) is None
    # the colleague signed in from there before: a shared office address stays usable
    assert attempt("colleague@example.org", PASSWORD, ATTACKER, now) is not None
    assert attempt("worker@example.org", PASSWORD, WORKER, now) is not None


def test_a_wide_attack_delays_new_addresses_and_never_locks(app, make_user) -> None:
    make_user("worker@example.org")
    start = clock.now()
    assert attempt("worker@example.org", PASSWORD, WORKER, start - timedelta(days=3))
    when = start
    for n in range(25):  # one wrong password from each of 25 addresses, each as soon as it may
        when += LIMITS.account_delay(n)
        attempt("worker@example.org", "guess", f"192.0.2.{n + 1}", when)
    assert db.session.query(LoginAttempt).filter_by(succeeded=False).count() == 25
    new_address = "198.51.100.99"
    delay = LIMITS.account_delay(25)
    assert delay == timedelta(seconds=32)
    assert attempt("worker@example.org", PASSWORD, new_address, when + delay / 2) is None
    # where the worker signed in before, there is no wait at all
    assert attempt("worker@example.org", PASSWORD, WORKER, when + delay / 2) is not None
    # and elsewhere the wait is a delay, not a lock
    assert attempt("worker@example.org", PASSWORD, new_address, when + delay) is not None


def test_the_account_delay_grows_to_its_cap(app) -> None:
    assert LIMITS.account_delay(19) == timedelta(0)
    assert LIMITS.account_delay(20) == timedelta(seconds=1)
    assert LIMITS.account_delay(22) == timedelta(seconds=4)
    assert LIMITS.account_delay(10_000) == LIMITS.account_max_delay


def test_an_ipv6_subscriber_counts_as_its_network(app, make_user) -> None:
    make_user("worker@example.org")
    now = clock.now()
    for n in range(LIMITS.per_account_and_address):
        attempt("worker@example.org", "guess", f"2001:db8:0:7::{n + 1}", now)
    assert attempt("worker@example.org", PASSWORD, "2001:db8:0:7::ffff", now) is None
    assert attempt("worker@example.org", PASSWORD, "2001:db8:0:8::1", now) is not None


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("::ffff:192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("not an address", "unknown"),
        (None, "unknown"),
    ],
)
def test_address_keys(address, key) -> None:
    assert throttle.address_key(address) == key


def test_each_block_is_logged_once_with_the_user_id_never_the_email(app, make_user, caplog) -> None:
    user = make_user("worker@example.org")
    now = clock.now()
    with caplog.at_level(logging.WARNING, logger="gateway.admin.throttle"):
        for _ in range(3 * LIMITS.per_account_and_address):
            attempt("worker@example.org", "guess", ATTACKER, now)
    lines = [r.getMessage() for r in caplog.records if r.name == "gateway.admin.throttle"]
    assert lines == [
        f"login: account {user.id} blocked from address {ATTACKER} for 15 minutes "
        "after 5 wrong passwords"
    ]
    assert "worker@example.org" not in caplog.text


def test_a_lock_out_line_carries_no_phone_number(app, make_user, caplog) -> None:
    """A password typed is never logged, even one that looks like a resident's number."""
    make_user("worker@example.org")
    with caplog.at_level(logging.INFO):
        for _ in range(LIMITS.per_account_and_address):
            attempt("worker@example.org", "+33698765432", ATTACKER, clock.now())
    [record] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert record.name == "gateway.admin.throttle" and "blocked" in record.getMessage()
    logged = " ".join([record.getMessage(), *map(str, vars(record).values())])
    assert "98765432" not in logged and "worker@example.org" not in logged


def test_attempts_keep_no_email(app, make_user) -> None:
    make_user("worker@example.org")
    browser_at(app, WORKER).login("worker@example.org", "a wrong password")
    browser_at(app, WORKER).login("typed.by.mistake@example.org", "another")
    rows = db.session.query(LoginAttempt).all()
    assert len(rows) == 2
    for row in rows:
        assert "@" not in row.account and len(row.account) == 64
        assert row.address == WORKER


def test_failures_are_forgotten_after_a_day_successes_after_a_month(app, make_user) -> None:
    make_user("worker@example.org")
    now = clock.now()
    attempt("worker@example.org", "guess", WORKER, now - timedelta(days=2))
    attempt("worker@example.org", PASSWORD, WORKER, now - timedelta(days=2))
    attempt("worker@example.org", PASSWORD, WORKER, now - timedelta(days=31))
    attempt("nobody@example.org", "guess", WORKER, now)
    kept = {(a.succeeded, a.created_at.date()) for a in db.session.query(LoginAttempt)}
    assert kept == {(True, (now - timedelta(days=2)).date()), (False, now.date())}
