"""The one clock of the app: every "now" of the code is :func:`now`.

A webhook's arrival, a job's ``sent_at``, an import's audit entry, the lite site's "open now"
and an admin session's idle time all read this one function, so a test sets the time of
everything at once (``tests/conftest.py``'s ``clock`` fixture) instead of patching each
module's own copy. Functions that take a moment (``at``, ``now``) still take it from their
caller; this is where the caller gets it.
"""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """The current moment, aware, in UTC (the city's timezone is the reader's concern)."""
    return datetime.now(UTC)
