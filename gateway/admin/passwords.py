"""What makes a password acceptable, after NIST SP 800-63B (§3.1.1.2 of revision 4).

At least ``MIN_LENGTH`` characters and up to ``MAX_LENGTH`` (far above the 64 NIST asks for),
any characters, spaces and emoji included, counted as Unicode code points after NFKC
normalisation (so that "é" typed on two keyboards is one password). No composition rules: no
demand for digits, symbols or capitals, which make passwords harder to remember and no harder
to guess. Instead a password is refused when it is easy to guess, as NIST asks of a
blocklist: a common or breached password, a dictionary word or name, a repetition
(``aaaaaaaaaaaa``), a sequence (``123456789012``), a keyboard row, a date, or the person's
email address, name or the service's or city's name.

Guessability is judged by zxcvbn (Dropbox's estimator, MIT licence, a maintained PyPI
package), whose frequency lists ship the 30,000 most common passwords of public breach
corpora with English words, first names and surnames; it finds those words inside a longer
password too, spelt backwards or in l33t. A password whose estimate is below
``MIN_SCORE`` (3: about 10⁸ guesses, out of reach of an online attack slowed by
:mod:`gateway.admin.throttle`) is refused, and the person is told why in their language.
"""

from __future__ import annotations

import enum
import re
import threading
import unicodedata
from collections.abc import Iterable, Mapping

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from gateway.config import settings

MIN_LENGTH = 12
MAX_LENGTH = 256
MIN_SCORE = 3
# zxcvbn's own cap: its estimate grows slowly past it, and so would the time to compute it.
_ESTIMATED_PREFIX = 72
_SERVICE_NAME = "guichet"
_SEPARATORS = re.compile(r"[\W_]+")
# What a password built on the account's or city's words must add of its own.
_OWN_CHARACTERS = 6
_zxcvbn_lock = threading.Lock()


class Weakness(enum.StrEnum):
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    PERSONAL = "personal"
    COMMON = "common"
    REPEAT = "repeat"
    SEQUENCE = "sequence"
    KEYBOARD = "keyboard"
    DATE = "date"
    GUESSABLE = "guessable"


_MESSAGES: dict[Weakness, LazyString] = {
    Weakness.TOO_SHORT: _l("A password needs at least %(count)s characters."),
    Weakness.TOO_LONG: _l("Keep the password to %(count)s characters or fewer."),
    Weakness.PERSONAL: _l(
        "This password contains the email address or name of the account, or the name of "
        "this service or city: someone who knows them would try it."
    ),
    Weakness.COMMON: _l(
        "This password is on the lists of the most used passwords, which attackers try first."
    ),
    Weakness.REPEAT: _l("Repeated letters or words, like aaaa or abcabc, are easy to guess."),
    Weakness.SEQUENCE: _l("Sequences like abcd or 1234 are easy to guess."),
    Weakness.KEYBOARD: _l("Rows of keyboard keys, like qwerty or azerty, are easy to guess."),
    Weakness.DATE: _l("Dates and years are easy to guess."),
    Weakness.GUESSABLE: _l("This password would be too easy to guess."),
}
_ADVICE = _l("Try a few unrelated words, like a short sentence only you would think of.")


def normalize(password: str) -> str:
    """The form a password is hashed and checked in (NFKC, as NIST recommends)."""
    return unicodedata.normalize("NFKC", password)


def personal_words(email: str) -> list[str]:
    """What someone who knows the account would try: its email, the name in it, the
    service's and the city's names."""
    email = email.strip().lower()
    local = email.partition("@")[0]
    city = settings().city_name.lower()
    words = [email, local, _squeezed(local), _SERVICE_NAME, city, _squeezed(city)]
    words += _SEPARATORS.split(local) + _SEPARATORS.split(city)
    return [word for word in dict.fromkeys(words) if len(word) >= 3]


def _squeezed(text: str) -> str:
    """``text`` without spaces, punctuation and symbols: "I love you 123" is "Iloveyou123"."""
    return _SEPARATORS.sub("", text)


def weakness(password: str, personal: Iterable[str] = ()) -> Weakness | None:
    """Why ``password`` is not acceptable, or None when it is.

    zxcvbn judges the password as typed and without its separators (it sees the common
    password in "i love you 123" only once the spaces are gone), and the weaker verdict
    holds. A password that is the account's or the city's words plus a few characters is
    refused even when zxcvbn, unaware that the words belong together, scores it well.
    """
    password = normalize(password)
    if len(password) < MIN_LENGTH:
        return Weakness.TOO_SHORT
    if len(password) > MAX_LENGTH:
        return Weakness.TOO_LONG
    from zxcvbn import zxcvbn  # loads its word lists: only where passwords are set

    words = [word.lower() for word in personal if word]
    typed = password[:_ESTIMATED_PREFIX]
    squeezed = _squeezed(typed)
    if _mostly(words, squeezed.lower()):
        return Weakness.PERSONAL
    # zxcvbn keeps the personal words in a module-level dict while it estimates.
    with _zxcvbn_lock:
        results = [
            zxcvbn(form, user_inputs=words) for form in dict.fromkeys((typed, squeezed)) if form
        ]
    worst = min(results, key=lambda r: r["score"])
    if worst["score"] >= MIN_SCORE:
        return None
    matches = worst["sequence"]
    if any(m.get("dictionary_name") == "user_inputs" for m in matches):
        return Weakness.PERSONAL
    return _weakness_of(max(matches, key=lambda m: len(str(m["token"]))))


def _mostly(words: list[str], text: str) -> bool:
    """Is ``text`` made of some of ``words`` and fewer than ``_OWN_CHARACTERS`` others?"""
    rest = text
    for word in sorted({_squeezed(w) for w in words} - {""}, key=len, reverse=True):
        rest = rest.replace(word, "")
    return rest != text and len(rest) < _OWN_CHARACTERS


_PATTERNS = {
    "repeat": Weakness.REPEAT,
    "sequence": Weakness.SEQUENCE,
    "spatial": Weakness.KEYBOARD,
    "date": Weakness.DATE,
    "regex": Weakness.DATE,  # zxcvbn's only regex is a recent year
}


def _weakness_of(match: Mapping[str, object]) -> Weakness:
    pattern = str(match["pattern"])
    if pattern == "dictionary" and match.get("dictionary_name") == "passwords":
        return Weakness.COMMON
    return _PATTERNS.get(pattern, Weakness.GUESSABLE)


def message(found: Weakness) -> str:
    """What to tell the person who chose the password, in the current locale."""
    text = str(_MESSAGES[found]) % {
        "count": MIN_LENGTH if found is Weakness.TOO_SHORT else MAX_LENGTH
    }
    if found is Weakness.TOO_LONG:
        return text
    return f"{text} {_ADVICE}"


def problem(password: str, email: str) -> str | None:
    """The message refusing ``password`` for the account ``email``, or None if it will do."""
    found = weakness(password, personal_words(email))
    return None if found is None else message(found)
