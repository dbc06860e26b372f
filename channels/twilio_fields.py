"""Twilio's form fields, read by their shape: what Twilio never sends is a 400, not a 500.

A valid signature proves the request came from Twilio's account, not that each field has the
shape our tables take: a leaked token, a replay with edited fields or a change on Twilio's side
would otherwise reach the database (a 65-character SID, a NUL, an error code past a 32-bit
integer). SMS and voice read their SIDs and numbers here, once.

Numbers are ASCII digits only: ``str.isdigit`` and ``int`` also take "²", "①" or "٣".
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from flask import abort

# Two capital letters (SM, MM, CA…) and 32 hexadecimal digits: 34 characters, as Twilio's.
_SID = re.compile(r"[A-Z]{2}[0-9a-fA-F]{32}")
_ASCII_NUMBER = re.compile(r"[0-9]{1,10}")
INTEGER_MAX = 2**31 - 1  # what an INTEGER column keeps, on every database we run on


def sid(form: Mapping[str, str], *names: str) -> str:
    """The first of the fields ``names`` that is present; 400 when none is, or when it is not a
    Twilio SID."""
    value = next((form[name] for name in names if form.get(name)), None)
    if value is None or not _SID.fullmatch(value):
        abort(400)
    return value


def count(raw: str | None, maximum: int = INTEGER_MAX) -> int | None:
    """A count or a code in ASCII digits (Twilio's ``CallDuration``, ``ErrorCode``, or a number
    our own URL gave Twilio): None when absent or empty, 400 when it is anything but a number
    from 0 to ``maximum``."""
    if raw is None or not raw.strip():
        return None
    value = raw.strip()
    if not _ASCII_NUMBER.fullmatch(value) or int(value) > maximum:
        abort(400)
    return int(value)
