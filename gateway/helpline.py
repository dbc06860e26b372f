"""The city's helpline: when a person answers it, from the typed ``HELPLINE_HOURS``.

The setting is parsed and checked with the others when the app starts (a typo stops the start
rather than putting callers through to a line nobody answers, see :mod:`gateway.config`).
Every channel asks :func:`helpline_status`, so the voice menu's "put through" and a text's
"opens at" agree.
"""

from __future__ import annotations

from datetime import datetime

from gateway.config import settings
from gateway.directory.hours import Hours, HoursStatus


def helpline_hours() -> Hours:
    """The helpline's week (``ranges``), in the city's timezone."""
    return Hours(settings().helpline_hours, timezone=settings().timezone)


def helpline_status(at: datetime) -> HoursStatus:
    """Whether a person answers the helpline at ``at`` (``open_now``) and, if not, when one
    next does (``next_opening``; None when its hours name no day in the coming fortnight)."""
    return helpline_hours().status(at)
