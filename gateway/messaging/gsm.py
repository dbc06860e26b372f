"""How an SMS body is encoded and how many segments it costs (GSM 03.38 / 3GPP TS 23.038).

A message travels as GSM-7 when every character is in the default alphabet or its extension
table (the latter cost two septets: an escape and the character), else as UCS-2. One UCS-2
character turns a 160-character message into three segments, so :func:`fold` first replaces
characters GSM-7 lacks by a faithful equivalent (ê→e, ’→', «»→", …→...), keeping those it has
(é è à ù É Ç…). Text that still needs UCS-2 (Arabic, Ukrainian, emoji) is sent as written.

This lives in the core, not in ``channels/sms``, because outbound rows store their encoding
and segment count and the daily cap counts segments; the SMS channel imports it to pack replies.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Encoding = Literal["GSM-7", "UCS-2"]

# The default alphabet in code order 0x00-0x7F; 0x1B is the escape to the extension table,
# not a character of its own.
GSM_BASIC_TABLE = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_BASIC = frozenset(GSM_BASIC_TABLE) - {"\x1b"}
GSM_EXTENSION = frozenset("\f^{}\\[~]|€")

SINGLE_LIMIT: dict[Encoding, int] = {"GSM-7": 160, "UCS-2": 70}
# A concatenated message spends 6 octets per part on its header (7 septets, 3 UCS-2 units).
PART_LIMIT: dict[Encoding, int] = {"GSM-7": 153, "UCS-2": 67}

_FOLDS = {
    "œ": "oe",
    "Œ": "OE",
    "ı": "i",
    "ł": "l",
    "Ł": "L",
    "đ": "d",
    "Đ": "D",
    "’": "'",
    "‘": "'",
    "‚": "'",
    "‛": "'",
    "′": "'",
    "‹": "'",
    "›": "'",
    "“": '"',
    "”": '"',
    "„": '"',
    "‟": '"',
    "″": '"',
    "‐": "-",
    "‑": "-",
    "‒": "-",
    "–": "-",
    "—": "-",
    "―": "-",
    "−": "-",
    "•": "-",
    "º": "o",  # Spanish and Portuguese ordinals: 3.º, 1.ª
    "ª": "a",
    "…": "...",
    "\t": " ",
    "\u00a0": " ",  # no-break space
    "\u2002": " ",
    "\u2003": " ",
    "\u2004": " ",
    "\u2005": " ",
    "\u2006": " ",
    "\u2007": " ",  # figure space
    "\u2008": " ",
    "\u2009": " ",  # thin space
    "\u200a": " ",  # hair space
    "\u202f": " ",  # narrow no-break space (French typography: « a », 10 h)
    "\u00ad": "",  # soft hyphen
    "\u200b": "",  # zero-width space
    "\ufeff": "",  # byte-order mark
}


@dataclass(frozen=True)
class SmsText:
    """A body as it will be sent: the text, its encoding, its segments and length in units.

    ``units`` are septets for GSM-7 (extension characters count two) and UTF-16 code units for
    UCS-2 (an emoji outside the BMP counts two).
    """

    text: str
    encoding: Encoding
    segments: int
    units: int


def _fold_char(char: str) -> str:
    if char in GSM_BASIC or char in GSM_EXTENSION:
        return char
    if char in _FOLDS:
        return _FOLDS[char]
    # A Latin letter with accents GSM-7 lacks (ê, â, ç, ã, ó, À…) reads fine without them.
    decomposed = unicodedata.normalize("NFD", char)
    base, marks = decomposed[0], decomposed[1:]
    if marks and base.isascii() and base in GSM_BASIC and all(map(unicodedata.combining, marks)):
        return base
    return char


class _FoldTable(dict[int, str]):
    """:func:`_fold_char` as a :meth:`str.translate` table, filled in as characters come
    (those of the alphabets and punctuation we meet; rarer ones are worked out each time,
    so that no message can grow the table without bound)."""

    def __missing__(self, code: int) -> str:
        folded = _fold_char(chr(code))
        if code < _CACHED_BELOW:
            self[code] = folded
        return folded


_CACHED_BELOW = 0x3000  # Latin, Greek, Cyrillic, Arabic… and general punctuation


_FOLD_TABLE = _FoldTable()
_GSM_CHARACTERS = GSM_BASIC | GSM_EXTENSION

# French guillemets hold their spaces inside (« Noël »); straight quotes hug the word ("Noel").
_GUILLEMETS = re.compile("«[ \u00a0\u202f]*|[ \u00a0\u202f]*»")


def fold(text: str) -> str:
    """Replace characters outside GSM 03.38 that have a faithful GSM equivalent."""
    text = _GUILLEMETS.sub('"', unicodedata.normalize("NFC", text))
    return text.translate(_FOLD_TABLE)


def is_gsm(text: str) -> bool:
    return _GSM_CHARACTERS.issuperset(text)


def unit_cost(char: str, encoding: Encoding) -> int:
    """Units ``char`` takes: 2 for a GSM extension character or a UTF-16 surrogate pair."""
    if encoding == "GSM-7":
        return 2 if char in GSM_EXTENSION else 1
    return 2 if ord(char) > 0xFFFF else 1


def units_of(text: str, encoding: Encoding) -> int:
    """The units ``text`` takes in ``encoding`` (the sum of :func:`unit_cost`)."""
    if encoding == "GSM-7":
        return len(text) + sum(map(text.count, GSM_EXTENSION))
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def split_segments(text: str, encoding: Encoding) -> list[str]:
    """The parts a phone receives; an escape pair or surrogate pair never straddles two."""
    costs = [unit_cost(char, encoding) for char in text]
    if sum(costs) <= SINGLE_LIMIT[encoding]:
        return [text] if text else []
    limit = PART_LIMIT[encoding]
    parts: list[str] = []
    start = used = 0
    for index, cost in enumerate(costs):
        if used + cost > limit:
            parts.append(text[start:index])
            start, used = index, 0
        used += cost
    parts.append(text[start:])
    return parts


def _segment_count(text: str, encoding: Encoding, units: int) -> int:
    """``len(split_segments(text, encoding))``, by arithmetic when every character is one
    unit (then no pair can straddle two parts)."""
    if units <= SINGLE_LIMIT[encoding]:
        return 1 if text else 0
    if units == len(text):
        return -(-units // PART_LIMIT[encoding])
    return len(split_segments(text, encoding))


@dataclass(frozen=True)
class Piece:
    """A part of a body (a header, an item, a footer) encoded once: its GSM-7 form and septets
    when it has one (``folded`` None: it needs UCS-2), and its UTF-16 units as written. Pieces
    joined into one body are sized by adding theirs up, so a layout that tries many bodies
    made of the same parts encodes each part once, not each body."""

    folded: str | None
    written: str
    septets: int
    utf16: int


def piece(text: str) -> Piece:
    """``text`` encoded as a part of a body (see :func:`join`)."""
    folded = fold(text)
    written = unicodedata.normalize("NFC", text)
    if is_gsm(folded):
        return Piece(folded, written, units_of(folded, "GSM-7"), units_of(written, "UCS-2"))
    return Piece(None, written, 0, units_of(written, "UCS-2"))


def join(pieces: Sequence[Piece], separator: str = "\n") -> SmsText:
    """The body of ``pieces`` one after the other with ``separator`` (one GSM-7 character of
    the default alphabet) between them, as :func:`encode_for_sms` would encode it whole:
    GSM-7 when every piece folds to it, otherwise every piece as written, in UCS-2.

    Folding and normalising work within a piece (nothing folds across a newline), so this
    is the same body, encoding and count.
    """
    gaps = max(len(pieces) - 1, 0)
    folded = [part.folded for part in pieces]
    if all(text is not None for text in folded):
        body = separator.join(text for text in folded if text is not None)
        encoding: Encoding = "GSM-7"
        units = sum(part.septets for part in pieces) + gaps
    else:
        body = separator.join(part.written for part in pieces)
        encoding, units = "UCS-2", sum(part.utf16 for part in pieces) + gaps
    return SmsText(body, encoding, _segment_count(body, encoding, units), units)


def encode_for_sms(text: str) -> SmsText:
    """Fold ``text`` into GSM-7 when possible; otherwise keep it as written, in UCS-2.

    An empty text costs no segment. Folding buys nothing once UCS-2 is needed, and the
    original reads better.
    """
    return join([piece(text)])
