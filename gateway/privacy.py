"""Residents' own words, kept without the numbers and addresses they type into them.

A resident writes "AVIS 2 fermé, rappelez-moi au 06 12 34 56 78" or searches with her e-mail
address: whatever is stored of free text (a message body, a report, the words of a search)
goes through :func:`scrub_personal` first, so that a number never reaches a table, a backup
or the purge's blind spots. Phone numbers are found by Google's libphonenumber (the
``phonenumbers`` package), in international form and in the national forms of
``PHONE_REGION``; it knows what a dialable number is, so opening hours, postcodes, prices, dates
and the short numbers of services (115, 3919) stay as written. The placeholders are symbols,
not words: they read the same in every language and are never searched for.
"""

from __future__ import annotations

import re

import phonenumbers

from gateway.config import settings

PHONE_PLACEHOLDER = "[☎]"
EMAIL_PLACEHOLDER = "[@]"
# The fewest digits of a dialable number anywhere (national significant numbers start at 7
# digits, short of a few micro-states): fewer, and the text holds no number to look for.
_MIN_DIGITS = 7
_EMAIL = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)+")


def scrub_phone_numbers(text: str, region: str, placeholder: str = PHONE_PLACEHOLDER) -> str:
    """``text`` with every possible phone number (international, or national to ``region``,
    e.g. "FR") replaced by ``placeholder``."""
    if sum(char.isdigit() for char in text) < _MIN_DIGITS:
        return text
    found = phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.POSSIBLE)
    parts, end = [], 0
    for match in found:
        parts += [text[end : match.start], placeholder]
        end = match.end
    return "".join(parts) + text[end:]


def scrub_personal(text: str, region: str | None = None) -> str:
    """``text`` without the phone numbers and e-mail addresses a resident typed into it.

    ``region`` defaults to the app's ``PHONE_REGION``: the country whose national number forms
    ("06 12 34 56 78") residents write.
    """
    without_emails = _EMAIL.sub(EMAIL_PLACEHOLDER, text) if "@" in text else text
    return scrub_phone_numbers(without_emails, region or settings().phone_region)
