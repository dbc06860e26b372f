"""Turning what residents type into comparable words, in Latin, Arabic and Cyrillic script.

Residents text from phones without accents, with Arabic harakat or without, in capitals or
not. The directory, the vocabularies and the query all go through :func:`words`, so that a
match never depends on how a word was typed, only on what it says.
"""

from __future__ import annotations

import re
import unicodedata

# Folding per character, on top of casefold(). Arabic: every alef/hamza seat to its bare
# letter, alef maqsura to yaa, taa marbuta to haa (residents use them interchangeably).
_ARABIC_FOLDS = {
    "أ": "ا",
    "إ": "ا",
    "آ": "ا",
    "ٱ": "ا",
    "ى": "ي",
    "ة": "ه",
    "ؤ": "و",
    "ئ": "ي",
    "ـ": "",  # tatweel, a typographic stretch
}
# Ukrainian ґ is often typed as г, Russian-layout ё as е; apostrophes inside words
# (п'ять, м'ясо) are dropped rather than splitting the word.
_CYRILLIC_FOLDS = {"ґ": "г", "ё": "е"}
_LATIN_FOLDS = {"œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d"}
_DIGITS = {chr(base + n): str(n) for base in (0x0660, 0x06F0) for n in range(10)}

_WORD = re.compile(r"\w+")
# French elision splits ("l'hôpital" is "l hopital", so "hopital" matches); any other
# apostrophe joins ("м'ясо", "aujourd'hui", and "j'ai" written "jai").
_ELISION = re.compile(r"\b([a-z]|qu)['’ʼ](?=\w)")
# Articles glued to Arabic words: "الأكل", "والسكن", "بالمجان", "للنساء" mean the same words.
_ARABIC_PREFIXES = ("وال", "بال", "فال", "كال", "لل", "ال")
_ARABIC_LETTERS = re.compile(r"[\u0621-\u064A]")
# One-letter words glued to the next: and, with/by, for/to, so, like ("لكبار السن").
_ARABIC_PROCLITICS = frozenset("وبلفك")


def _is_arabic_mark(char: str) -> bool:
    code = ord(char)
    return 0x064B <= code <= 0x065F or code == 0x0670 or 0x06D6 <= code <= 0x06ED


def _fold_char(char: str) -> str:
    if char in _ARABIC_FOLDS:
        return _ARABIC_FOLDS[char]
    if char in _DIGITS:
        return _DIGITS[char]
    if _is_arabic_mark(char):
        return ""
    if char in _CYRILLIC_FOLDS:
        return _CYRILLIC_FOLDS[char]
    if "\u0400" <= char <= "\u04ff":
        # Cyrillic stays as typed: й and ї are letters of their own, not accented и and і.
        return char
    if char in _LATIN_FOLDS:
        return _LATIN_FOLDS[char]
    if char in "'’ʼ`´":
        return ""
    decomposed = unicodedata.normalize("NFKD", char)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class _FoldTable(dict[int, str]):
    """A ``str.translate`` table that works each character out once, on first sight."""

    def __missing__(self, code: int) -> str:
        folded = _fold_char(chr(code))
        self[code] = folded
        return folded


_TABLE = _FoldTable()


def fold(text: str) -> str:
    """Casefolded text without accents, harakat or letter variants; Cyrillic letters kept."""
    return unicodedata.normalize("NFC", text).casefold().translate(_TABLE)


def _strip_arabic_article(word: str) -> str:
    for prefix in _ARABIC_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 2:
            return word[len(prefix) :]
    return word


def words(text: str) -> list[str]:
    """The folded words of ``text``, in order; Arabic words lose their glued article.

    Hyphens and punctuation split ("Saint-Martin" is two words); see ``_ELISION`` for
    apostrophes.
    """
    casefolded = unicodedata.normalize("NFC", text).casefold()
    found = _WORD.findall(_ELISION.sub(r"\1 ", casefolded).translate(_TABLE).replace("_", " "))
    return [_strip_arabic_article(w) if _ARABIC_LETTERS.match(w) else w for w in found]


def without_proclitic(word: str) -> str | None:
    """An Arabic word without a glued one-letter conjunction or preposition, if it may have
    one; a reading to try beside the word itself, never instead of it ("بيت" is a word)."""
    if len(word) >= 4 and word[0] in _ARABIC_PROCLITICS and _ARABIC_LETTERS.match(word):
        return _strip_arabic_article(word[1:])
    return None
