"""Fit a reply into as few SMS segments as its content needs, three at most.

The encoding and segment arithmetic is the core's (:mod:`gateway.messaging.gsm`, re-exported
here); this module packs a list of items (numbered choices, detail lines) under a header and
above a footer, cutting only between items or between words, never inside a phone number or a
span made unbreakable with :func:`keep_together` (an address). What does not fit is returned
for the next page, and the footer is told so, which is where the renderer says "SUITE".
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from gateway.messaging import gsm
from gateway.messaging.gsm import SmsText, encode_for_sms

__all__ = ["SMS", "Page", "Sizing", "SmsText", "encode_for_sms", "keep_together", "pack"]

# footer(items shown on this page, whether some are left for the next one) -> footer text
Footer = Callable[[int, bool], str]
Measured = TypeVar("Measured")


@dataclass(frozen=True)
class Sizing(Generic[Measured]):
    """How a text channel encodes a body and counts its parts, piece by piece: SMS folds to
    GSM-7 and counts segments (:data:`SMS`); WhatsApp keeps the text as written and counts
    4096-character messages. Packing is the same for both.

    A body is made of pieces (header, items, footer), each ``measure``-d once, and ``join``
    gives the body of pieces with its encoding and count: trying many bodies of the same
    pieces does not encode each body whole.
    """

    measure: Callable[[str], Measured]
    join: Callable[[Sequence[Measured]], SmsText]

    def encode(self, text: str) -> SmsText:
        """``text`` as one body."""
        return self.join([self.measure(text)])

    def once(self) -> Sizing[Measured]:
        """This sizing measuring each distinct piece once, for the layouts of one reply."""
        return Sizing(functools.cache(self.measure), self.join)


SMS: Sizing[gsm.Piece] = Sizing(gsm.piece, gsm.join)

NO_BREAK = "\u00a0"
_BREAKABLE_SPACE = re.compile(r"[ \t\r\n]+")
# 8 to 15 digits with single spaces, dots or hyphens between them: "+33 2 61 91 00 12",
# "02.61.91.00.12". Shorter runs are hours, postcodes or street numbers; short numbers
# (115, 3114) are one word and never cut anyway.
_PHONE = re.compile(r"(?<![\w+])\+?\d(?:[ .\-\u00a0]?\d){7,14}(?!\w)")


def keep_together(text: str) -> str:
    """Mark ``text`` (an address) unbreakable: its spaces become no-break spaces.

    Folding sends them as ordinary spaces in GSM-7; in UCS-2 they show as spaces too.
    """
    return text.replace(" ", NO_BREAK)


@dataclass(frozen=True)
class Page:
    """One SMS: what it says and costs, how many items it shows, what is left for the next."""

    sms: SmsText
    shown: int
    rest: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.sms.text

    @property
    def more(self) -> bool:
        return bool(self.rest)


def _cut_points(item: str) -> Iterator[tuple[int, int]]:
    """Whitespace runs outside phone numbers, latest first, as (prefix end, rest start)."""
    phones = [match.span() for match in _PHONE.finditer(item)]
    runs = [
        match.span()
        for match in _BREAKABLE_SPACE.finditer(item)
        if not any(start < match.start() < end for start, end in phones)
    ]
    return reversed(runs)


def _split_item(item: str, fits: Callable[[str], bool]) -> tuple[str, str]:
    """The longest head of ``item`` that fits, cut between words, and the rest.

    An unbreakable span longer than a whole page (never a phone number or an address in
    practice) is cut at any character rather than blocking the reply.
    """
    for end, start in _cut_points(item):
        if end and fits(item[:end]):
            return item[:end], item[start:]
    for end in range(len(item) - 1, 0, -1):
        if fits(item[:end]):
            return item[:end], item[end:]
    raise ValueError("a page cannot hold a single character between its header and footer")


def pack(
    items: Sequence[str],
    header: str = "",
    footer: str | Footer = "",
    max_segments: int = 3,
    sizing: Sizing[Any] = SMS,
) -> Page:
    """Put as many ``items`` as fit in ``max_segments`` between ``header`` and ``footer``.

    Items are kept whole and in order; the first item of a page that cannot fit on its own is
    cut between words and its tail heads :attr:`Page.rest`. ``footer`` may be a callable given
    the number of items shown and whether more remain, e.g. to say "1-3, SUITE". ``sizing``
    says what a segment is (an SMS segment unless told). The header and each item are
    measured once, whatever the number of bodies tried.
    """
    footer_for: Footer = footer if callable(footer) else (lambda _shown, _more: footer)
    texts = [item.strip() for item in items]
    top = [sizing.measure(header)] if header else []
    measured = {text: sizing.measure(text) for text in texts if text}

    def compose(body: list[str], more: bool) -> SmsText:
        end = footer_for(len(body), more)
        pieces = [
            measured[text] if text in measured else sizing.measure(text) for text in body if text
        ]
        return sizing.join([*top, *pieces, *([sizing.measure(end)] if end else [])])

    def fits(body: list[str], more: bool) -> bool:
        return compose(body, more).segments <= max_segments

    if not fits([], bool(texts)):
        raise ValueError(f"header and footer alone take more than {max_segments} segments")
    shown: list[str] = []
    for index, item in enumerate(texts):
        more = index + 1 < len(texts)
        if fits([*shown, item], more):
            shown.append(item)
            continue
        rest = texts[index:]
        if not shown:
            head, tail = _split_item(item, lambda part: fits([part], True))
            shown, rest[0] = [head], tail
        return Page(compose(shown, True), len(shown), rest)
    return Page(compose(shown, False), len(shown))
