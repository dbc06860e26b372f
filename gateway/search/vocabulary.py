"""Everyday words residents use, per language, mapped to the directory's categories.

Social workers extend these files with a text editor, so the format is one line per idea::

    # comments and blank lines are ignored
    food: rien à manger | j'ai faim | bouffe | manger
    hygiene +douche: se laver | prendre une douche
    stopwords: je | veux | où

Left of the colon: one or more category slugs, and optionally ``+word`` — words to look for
in services' own texts (so "shower" finds "Douches municipales"). Right: phrases separated
by ``|``. A phrase of several words matches those words in that order; a single word also
matches with typos. ``stopwords`` lists words that say nothing about a need. A broken line
stops the load with :class:`VocabularyError` naming the file and line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from gateway.config import CONTENT_DIR
from gateway.models import CATEGORY_SLUGS
from gateway.search.normalize import words

VOCABULARY_DIR = CONTENT_DIR / "vocabulary"
STOPWORDS = "stopwords"


class VocabularyError(ValueError):
    """A vocabulary line that cannot be read; the message names the file and line."""


@dataclass(frozen=True)
class Entry:
    """One phrase of one line: its normalised words and what they point to."""

    words: tuple[str, ...]
    categories: tuple[str, ...]
    boosts: tuple[str, ...]
    locale: str
    phrase: str  # as written in the file, for "why it matched"


@dataclass(frozen=True)
class Vocabulary:
    entries: tuple[Entry, ...]
    stopwords: dict[str, frozenset[str]]  # locale -> words

    def known_words(self) -> dict[str, frozenset[str]]:
        """Per locale, every word its file knows: the evidence language detection weighs."""
        known: dict[str, set[str]] = {locale: set(stop) for locale, stop in self.stopwords.items()}
        for entry in self.entries:
            known.setdefault(entry.locale, set()).update(entry.words)
        return {locale: frozenset(found) for locale, found in known.items()}


def _parse_targets(left: str, where: str) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
    categories: list[str] = []
    boosts: list[str] = []
    stop = False
    for target in left.split():
        if target == STOPWORDS:
            stop = True
        elif target.startswith("+"):
            boost = words(target[1:])
            if len(boost) != 1:
                raise VocabularyError(f"{where}: '{target}' must be + and one word")
            boosts.append(boost[0])
        elif target in CATEGORY_SLUGS:
            categories.append(target)
        else:
            raise VocabularyError(
                f"{where}: unknown category '{target}' "
                f"(expected {', '.join(CATEGORY_SLUGS)}, +word or {STOPWORDS})"
            )
    if stop and (categories or boosts):
        raise VocabularyError(f"{where}: a {STOPWORDS} line names nothing else")
    if not stop and not categories:
        raise VocabularyError(f"{where}: name at least one category before the colon")
    return tuple(categories), tuple(boosts), stop


def parse_lines(lines: Iterable[str], locale: str, source: str) -> Vocabulary:
    """Read one locale's lines; ``source`` names the file in error messages."""
    entries: list[Entry] = []
    stopwords: set[str] = set()
    single: dict[str, int] = {}
    stop_lines: dict[str, int] = {}
    for number, raw in enumerate(lines, start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        where = f"{source}, line {number}"
        left, colon, right = line.partition(":")
        if not colon:
            raise VocabularyError(f"{where}: expected 'category: phrase | phrase', got '{line}'")
        categories, boosts, stop = _parse_targets(left, where)
        for phrase in right.split("|"):
            phrase = phrase.strip()
            normalised = tuple(words(phrase))
            if not normalised:
                raise VocabularyError(f"{where}: empty phrase between '|'")
            if stop:
                if len(normalised) != 1:
                    raise VocabularyError(f"{where}: stopword '{phrase}' must be one word")
                stopwords.add(normalised[0])
                stop_lines[normalised[0]] = number
                continue
            if len(normalised) == 1:
                single[normalised[0]] = number
            entries.append(Entry(normalised, categories, boosts, locale, phrase))
    for word, number in sorted(single.items()):
        if word in stopwords:
            raise VocabularyError(
                f"{source}, line {number}: '{word}' is also a stopword "
                f"(line {stop_lines[word]}); a stopword never matches"
            )
    return Vocabulary(tuple(entries), {locale: frozenset(stopwords)})


def load_vocabulary(directory: Path = VOCABULARY_DIR) -> Vocabulary:
    """Every ``<locale>.txt`` in ``directory``, merged; read at each index build."""
    entries: list[Entry] = []
    stopwords: dict[str, frozenset[str]] = {}
    for path in sorted(directory.glob("*.txt")):
        with path.open(encoding="utf-8") as lines:
            part = parse_lines(lines, path.stem, str(path))
        entries.extend(part.entries)
        stopwords.update(part.stopwords)
    return Vocabulary(tuple(entries), stopwords)
