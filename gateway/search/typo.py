"""Typo tolerance: which known words a typed word may have meant.

A symmetric-delete index (the SymSpell idea): every known word is stored under each string
obtained by deleting up to its allowed number of letters; a typed word looks up its own
deletions, and the few candidates found are checked with a real edit distance. A lookup
costs a few dozen dictionary probes whatever the vocabulary's size.

An index grows in layers (:meth:`TypoIndex.extended`): words a directory edit brings are
stored in a small index of their own on top of the one requests are reading, so that an
edit costs the deletions of its new words, not those of the whole vocabulary.
"""

from __future__ import annotations

from collections.abc import Iterable
from copy import copy

from rapidfuzz.distance import OSA

# A layer of added words is merged into the one below once it holds more than a tenth of
# it (and at least this many words): lookups walk few layers, merges stay rare.
MIN_MERGED_LAYER = 256


def max_edits(length: int) -> int:
    """Edits tolerated in a word of ``length`` letters: none below 4, one to 7, then two."""
    if length < 4:
        return 0
    return 1 if length < 8 else 2


def _deletions(word: str, edits: int) -> set[str]:
    """``word`` and every string made by deleting up to ``edits`` of its letters."""
    found = {word}
    frontier = {word}
    for _ in range(edits):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (a swap of neighbours is one edit), or ``limit + 1``.

    rapidfuzz computes it in C with the cut-off: it runs for every candidate of every word of
    every message, where a pure-Python matrix cost a webhook dearly.
    """
    return int(OSA.distance(a, b, score_cutoff=limit))


class TypoIndex:
    """Known words, looked up with typo tolerance.

    The tolerance of a pair is that of its shorter word, so a short word is never reached
    through a long one's allowance.
    """

    def __init__(self, vocabulary: Iterable[str]) -> None:
        self._words = frozenset(vocabulary)
        self._deletes: dict[str, str | tuple[str, ...]] = {}
        for word in sorted(self._words):
            for deleted in _deletions(word, max_edits(len(word))):
                known = self._deletes.get(deleted)
                if known is None:
                    self._deletes[deleted] = word
                elif isinstance(known, str):
                    self._deletes[deleted] = (known, word)
                else:
                    self._deletes[deleted] = (*known, word)
        # Words added since this layer was built (never in it), or None.
        self._added: TypoIndex | None = None

    def extended(self, words: Iterable[str]) -> TypoIndex:
        """This index with ``words`` too, leaving this one as it is (requests may be
        reading it); the two share their tables."""
        new = {word for word in words if word not in self}
        if not new:
            return self
        if self._added is not None:
            added = self._added.extended(new)
            if len(added) <= max(MIN_MERGED_LAYER, len(self._words) // 10):
                grown = copy(self)
                grown._added = added
                return grown
            new |= added.words()
        elif len(new) <= max(MIN_MERGED_LAYER, len(self._words) // 10):
            grown = copy(self)
            grown._added = TypoIndex(new)
            return grown
        return TypoIndex(self._words | new)

    def words(self) -> frozenset[str]:
        return self._words if self._added is None else self._words | self._added.words()

    def __contains__(self, word: str) -> bool:
        return word in self._words or (self._added is not None and word in self._added)

    def __len__(self) -> int:
        return len(self._words) + (0 if self._added is None else len(self._added))

    def lookup(self, word: str, closest: bool = True) -> tuple[tuple[str, int], ...]:
        """Known words ``word`` may mean, with their distance, sorted by word.

        ``closest``: the word itself when known, else only those at the smallest distance
        (for vocabularies, where "pain" must not also mean "bain"). Otherwise every word
        within tolerance (for services' texts, where "douche" should find "douches" too).
        """
        if closest and word in self:
            return ((word, 0),)
        edits = max_edits(len(word))
        if edits == 0:
            return ((word, 0),) if word in self else ()
        candidates: set[str] = set()
        deletions = _deletions(word, edits)
        layer: TypoIndex | None = self
        while layer is not None:
            for deleted in deletions:
                known = layer._deletes.get(deleted)
                if known is None:
                    continue
                if isinstance(known, str):
                    candidates.add(known)
                else:
                    candidates.update(known)
            layer = layer._added
        found: dict[str, int] = {}
        for candidate in candidates:
            allowed = min(edits, max_edits(len(candidate)))
            distance = edit_distance(word, candidate, allowed)
            if distance <= allowed:
                found[candidate] = distance
        if closest and found:
            best = min(found.values())
            found = {known: distance for known, distance in found.items() if distance == best}
        return tuple(sorted(found.items()))
