"""Typo tolerance: which known words a typed word may have meant.

A symmetric-delete index (the SymSpell idea): every known word is stored under each string
obtained by deleting up to its allowed number of letters; a typed word looks up its own
deletions, and the few candidates found are checked with a real edit distance. A lookup
costs a few dozen dictionary probes whatever the vocabulary's size.
"""

from __future__ import annotations

from collections.abc import Iterable

from rapidfuzz.distance import OSA


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

    def __contains__(self, word: str) -> bool:
        return word in self._words

    def __len__(self) -> int:
        return len(self._words)

    def lookup(self, word: str, closest: bool = True) -> tuple[tuple[str, int], ...]:
        """Known words ``word`` may mean, with their distance, sorted by word.

        ``closest``: the word itself when known, else only those at the smallest distance
        (for vocabularies, where "pain" must not also mean "bain"). Otherwise every word
        within tolerance (for services' texts, where "douche" should find "douches" too).
        """
        if closest and word in self._words:
            return ((word, 0),)
        edits = max_edits(len(word))
        if edits == 0:
            return ((word, 0),) if word in self._words else ()
        candidates: set[str] = set()
        for deleted in _deletions(word, edits):
            known = self._deletes.get(deleted)
            if known is None:
                continue
            if isinstance(known, str):
                candidates.add(known)
            else:
                candidates.update(known)
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
