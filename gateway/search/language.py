"""Guessing a message's language from its script, then from the words it uses.

Arabic and Cyrillic script settle it (Ukrainian is our only Cyrillic language). Latin text
is weighed against each language's vocabulary and stopwords: a word only one language knows
counts fully, a shared one ("de", "comida") is split between them. A tie is "unsure".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

SCRIPT_LOCALES = {"arabic": "ar", "cyrillic": "uk"}


def _script_of(char: str) -> str | None:
    code = ord(char)
    if 0x0600 <= code <= 0x06FF or 0x0750 <= code <= 0x077F or 0xFB50 <= code <= 0xFEFF:
        return "arabic"
    if 0x0400 <= code <= 0x04FF:
        return "cyrillic"
    if char.isalpha():
        return "latin"
    return None


def dominant_script(text: str) -> str | None:
    counts: dict[str, int] = {}
    for char in text:
        script = _script_of(char)
        if script is not None:
            counts[script] = counts.get(script, 0) + 1
    if not counts:
        return None
    return max(sorted(counts), key=lambda script: counts[script])


class LanguageGuesser:
    def __init__(self, known_words: Mapping[str, frozenset[str]]) -> None:
        self._locales_of: dict[str, tuple[str, ...]] = {}
        for locale in sorted(known_words):
            if locale in SCRIPT_LOCALES.values():
                continue
            for word in known_words[locale]:
                self._locales_of[word] = (*self._locales_of.get(word, ()), locale)

    def guess(self, text: str, words: Sequence[str]) -> str | None:
        """The language of ``text`` (whose normalised ``words`` are given), or None if unsure."""
        script = dominant_script(text)
        if script in SCRIPT_LOCALES:
            return SCRIPT_LOCALES[script]
        if script is None:
            return None
        scores: dict[str, float] = {}
        for word in words:
            locales = self._locales_of.get(word, ())
            for locale in locales:
                scores[locale] = scores.get(locale, 0.0) + 1.0 / len(locales)
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        if not ranked or (len(ranked) > 1 and ranked[0][1] - ranked[1][1] < 1e-9):
            return None
        return ranked[0][0]
