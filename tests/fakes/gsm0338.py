"""An independent reference for SMS segment arithmetic, typed from 3GPP TS 23.038 (GSM 03.38).

It encodes to the actual septet codes and UTF-16 code units and chunks those, without touching
the code under test; the fake Twilio API counts ``num_segments`` with it, as Twilio would.
"""

from __future__ import annotations

# The default alphabet, positions 0x00 to 0x7F; 0x1B is ESC, the escape to the extension table.
BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
ESC = 0x1B
# The extension table: characters sent as ESC followed by this code.
EXTENSION = {
    "\f": 0x0A,
    "^": 0x14,
    "{": 0x28,
    "}": 0x29,
    "\\": 0x2F,
    "[": 0x3C,
    "~": 0x3D,
    "]": 0x3E,
    "|": 0x40,
    "€": 0x65,
}

GSM_SINGLE, GSM_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


def gsm_septets(text: str) -> list[tuple[int, ...]] | None:
    """Each character as its septet codes, or None if the text needs UCS-2."""
    codes: list[tuple[int, ...]] = []
    for char in text:
        if char in EXTENSION:
            codes.append((ESC, EXTENSION[char]))
        elif char != "\x1b" and char in BASIC:
            codes.append((BASIC.index(char),))
        else:
            return None
    return codes


def ucs2_units(text: str) -> list[tuple[int, ...]]:
    """Each character as its UTF-16 code units (two for a surrogate pair)."""
    units: list[tuple[int, ...]] = []
    for char in text:
        raw = char.encode("utf-16-be")
        units.append(tuple(int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw), 2)))
    return units


def _chunks(groups: list[tuple[int, ...]], single: int, part: int) -> int:
    total = sum(len(group) for group in groups)
    if total == 0:
        return 0
    if total <= single:
        return 1
    count, room = 1, part
    for group in groups:
        if len(group) > room:
            count, room = count + 1, part
        room -= len(group)
    return count


def segments(text: str) -> tuple[str, int, int]:
    """(encoding, units, segments) of ``text`` sent exactly as given."""
    septets = gsm_septets(text)
    if septets is not None:
        return "GSM-7", sum(map(len, septets)), _chunks(septets, GSM_SINGLE, GSM_PART)
    units = ucs2_units(text)
    return "UCS-2", sum(map(len, units)), _chunks(units, UCS2_SINGLE, UCS2_PART)
