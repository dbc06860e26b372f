"""The in-memory search index: what a query means, and which services it points to.

Built from plain :class:`~gateway.search.records.ServiceRecord` values and a
:class:`~gateway.search.vocabulary.Vocabulary`, it answers in two steps: :meth:`analyse`
reads the query (language, area, categories through the vocabulary, words to look for), then
:meth:`score` gives each relevant service a relevance. Ordering is :mod:`gateway.search.rank`.

Relevance adds up: a category the query maps to is worth :data:`CATEGORY_POINTS`; each query
word found in a service's own texts adds up to :data:`FIELD_WEIGHTS` (name, summary,
description), scaled by how rare the word is and how exactly it matched; a query of several
words that are all in one service's name is worth a category again (the place was named).
"""

from __future__ import annotations

import math
import re
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from gateway.search.language import LanguageGuesser
from gateway.search.normalize import without_proclitic, words
from gateway.search.opening import OpeningTimes
from gateway.search.records import INDEXED_FIELDS, ServiceRecord
from gateway.search.typo import TypoIndex, edit_distance, max_edits
from gateway.search.vocabulary import Entry, Vocabulary

CATEGORY_POINTS = 10.0
NAME, SUMMARY, DESCRIPTION = 0, 1, 2
FIELD_WEIGHTS = (3.0, 1.0, 0.5)
FIELD_LABELS = ("name", "word", "word")
_FIELD_CODES = {"name": NAME, "summary": SUMMARY, "description": DESCRIPTION}
# How much a match counts by its number of edits.
FUZZY_FACTORS = (1.0, 0.8, 0.6)
# Words a vocabulary line adds ("+douche") count a little less than words typed.
BOOST_FACTOR = 0.8
# A posting list whose words would add less than this is not worth walking: a word in
# most services' descriptions says nothing about any one of them.
MIN_CONTRIBUTION = 0.15
# Hits far below the best are noise (a stray word in a description), not answers.
MIN_SHARE_OF_BEST = 0.25

MAX_WORDS = 40
DISTRICT_MIN_FUZZY = 5
_POSTCODE = re.compile(r"^\d{5}$")
_DISTRICT_ARTICLES = frozenset({"le", "la", "les", "l"})
_ABBREVIATIONS = {"st": "saint", "ste": "sainte"}


@dataclass(frozen=True)
class CategoryMatch:
    category: str
    confidence: float  # 1.0 for an exact phrase, less through typos
    position: int  # of the query word where it matched, for "best first"
    phrase: str  # the vocabulary phrase, as written


@dataclass(frozen=True)
class Term:
    """A query word to look for in services' texts, with the known words it may mean."""

    word: str
    candidates: tuple[tuple[str, float], ...]  # (indexed word, match factor)
    typed: bool = True  # False for a word a vocabulary line adds


@dataclass(frozen=True)
class Analysis:
    text: str
    locale: str | None  # detected
    categories: tuple[CategoryMatch, ...]  # best first, one per category
    postcode: str | None
    district: str | None  # as the directory spells it
    terms: tuple[Term, ...]
    kept_words: tuple[str, ...]  # the normalised query, numbers that may identify left out

    @property
    def names_area(self) -> bool:
        return self.postcode is not None or self.district is not None


@dataclass(frozen=True)
class Scores:
    relevance: dict[int, float]  # per service position
    name_hits: dict[int, int]  # how many of the words typed are in the service's name


class SearchIndex:
    """``previous``: an index of the same vocabulary whose services' words are reused for the
    records that did not change (reading words is most of a build)."""

    def __init__(
        self,
        records: Iterable[ServiceRecord],
        vocabulary: Vocabulary,
        previous: SearchIndex | None = None,
    ) -> None:
        # In name order, then id: a service's position is the final tiebreak of ranking.
        self.records: tuple[ServiceRecord, ...] = tuple(
            sorted(records, key=lambda record: (_sort_name(record), record.id))
        )
        self._stopwords = vocabulary.stopwords
        self._all_stopwords = frozenset().union(*vocabulary.stopwords.values())
        self._guesser = LanguageGuesser(vocabulary.known_words())
        self._build_vocabulary(vocabulary.entries)
        reusable = previous is not None and previous._all_stopwords == self._all_stopwords
        self._build_texts(previous._documents if previous is not None and reusable else {})
        self._build_places()
        self.openings = OpeningTimes(self.records)

    # -- building ---------------------------------------------------------------------------

    def _build_vocabulary(self, entries: Sequence[Entry]) -> None:
        self._single: dict[str, list[Entry]] = {}
        self._phrases: dict[str, list[Entry]] = {}
        for entry in entries:
            table = self._single if len(entry.words) == 1 else self._phrases
            table.setdefault(entry.words[0], []).append(entry)
        self._vocabulary_words = TypoIndex(word for entry in entries for word in entry.words)

    def _build_texts(self, known: Mapping[str, tuple[ServiceRecord, dict[str, int]]]) -> None:
        """Word -> service positions per field (name, summary, description), each service
        under its best field only; compact sorted arrays. And each category's members.

        ``known``: the words of services already read, by id, with the record they were
        read from; reused for a record that is still the same."""
        postings: dict[str, tuple[array[int], array[int], array[int]]] = {}
        members: dict[str, array[int]] = {}
        self._documents: dict[str, tuple[ServiceRecord, dict[str, int]]] = {}
        for position, record in enumerate(self.records):
            document = known.get(record.id)
            if document is None or document[0] != record:
                document = (record, self._best_fields(record))
            self._documents[record.id] = document
            for word, code in document[1].items():
                entry = postings.get(word)
                if entry is None:
                    entry = postings[word] = (array("I"), array("I"), array("I"))
                entry[code].append(position)
            for category in record.categories:
                members.setdefault(category, array("I")).append(position)
        self._postings = postings
        self._members = members
        self._text_words = TypoIndex(postings)
        count = len(self.records)
        self._idf = {
            word: math.log((count + 1) / sum(map(len, fields))) / math.log(count + 1)
            for word, fields in postings.items()
        }

    def _best_fields(self, record: ServiceRecord) -> dict[str, int]:
        """Each word of the service's texts, with the best field it is in."""
        best: dict[str, int] = {}
        fields = [(NAME, record.organization)] + [
            (_FIELD_CODES[field], value)
            for texts in record.texts.values()
            for field, value in texts.items()
            if field in INDEXED_FIELDS
        ]
        for code, value in fields:
            for word in words(value):
                if word not in self._all_stopwords and best.get(word, DESCRIPTION + 1) > code:
                    best[word] = code
        return best

    def _build_places(self) -> None:
        self._by_postcode: dict[str, set[int]] = {}
        self._by_district: dict[str, set[int]] = {}
        for position, record in enumerate(self.records):
            for place in record.places:
                self._by_postcode.setdefault(place.postcode, set()).add(position)
                self._by_district.setdefault(place.district.casefold(), set()).add(position)
        # Each service's first place as a point on the unit sphere (the nearer of two places
        # to a centre has the larger dot product with it); further places aside. A service
        # without coordinates is at the origin, marked "unplaced".
        self.point_x, self.point_y, self.point_z = array("d"), array("d"), array("d")
        self.unplaced = array("B")
        self.more_points: dict[int, tuple[tuple[float, float, float], ...]] = {}
        for position, record in enumerate(self.records):
            points = tuple(
                unit_vector(p.latitude, p.longitude)
                for p in record.places
                if p.latitude is not None and p.longitude is not None
            )
            x, y, z = points[0] if points else (0.0, 0.0, 0.0)
            self.point_x.append(x)
            self.point_y.append(y)
            self.point_z.append(z)
            self.unplaced.append(not points)
            if len(points) > 1:
                self.more_points[position] = points[1:]
        districts: dict[tuple[str, ...], str] = {}
        for record in self.records:
            for place in record.places:
                core = _district_words(place.district)
                if core:
                    districts.setdefault(core, place.district)
        self._districts_by_first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for core, name in sorted(districts.items()):
            self._districts_by_first.setdefault(core[0], []).append((core, name))
        self._district_words = TypoIndex(self._districts_by_first)

    # -- reading a query --------------------------------------------------------------------

    def analyse(self, text: str, locale: str | None = None) -> Analysis:
        # A question fits in far fewer words; a pasted page must not cost a page of lookups.
        typed = words(text)[:MAX_WORDS]
        detected = self._guesser.guess(text, typed)
        stopwords = self._stopwords_for(locale, detected)
        used = [False] * len(typed)
        postcode = next((w for w in typed if _POSTCODE.match(w)), None)
        for position, word in enumerate(typed):
            if word == postcode:
                used[position] = True
        district = self._find_district(typed, used)
        matches = self._match_vocabulary(typed, used, stopwords)
        looked_for = dict.fromkeys(
            word
            for position, word in enumerate(typed)
            if not used[position] and word not in stopwords
        )
        terms = [self._term(word, 1.0) for word in looked_for]
        boosts = dict.fromkeys(boost for match in matches for boost in match[1].boosts)
        added = [boost for boost in boosts if boost not in looked_for]
        terms.extend(self._term(boost, BOOST_FACTOR, typed=False) for boost in added)
        # Numbers other than a postcode or a known one ("115") may be a phone number: dropped.
        kept = [
            word
            for word in typed
            if not word.isdigit() or word == postcode or word in self._vocabulary_words
        ]
        return Analysis(
            text=text,
            locale=detected,
            categories=_best_categories(matches),
            postcode=postcode,
            district=district,
            terms=tuple(term for term in terms if term.candidates),
            kept_words=tuple(kept),
        )

    def _stopwords_for(self, locale: str | None, detected: str | None) -> frozenset[str]:
        """The stopwords of the languages in play; all of them when neither is known."""
        chosen = {code for code in (locale, detected) if code in self._stopwords}
        if not chosen:
            return self._all_stopwords
        return frozenset().union(*(self._stopwords[code] for code in sorted(chosen)))

    def _find_district(self, typed: list[str], used: list[bool]) -> str | None:
        """The district the query names, the longest name first ("Saint-Martin-Nord" over
        "Saint-Martin"); its words, and an article before them, are marked used."""
        expanded = [_ABBREVIATIONS.get(word, word) for word in typed]
        found: list[tuple[int, int, str]] = []
        for start, word in enumerate(expanded):
            for first, _distance in self._district_words.lookup(word, closest=False):
                if not _close(word, first):
                    continue
                for core, name in self._districts_by_first[first]:
                    rest = expanded[start + 1 : start + len(core)]
                    if len(rest) == len(core) - 1 and all(
                        _close(said, known) for said, known in zip(rest, core[1:], strict=True)
                    ):
                        found.append((-len(core), start, name))
        if not found:
            return None
        length, start, name = min(found)
        for i in range(start, start - length):
            used[i] = True
        # "Les Tilleuls": the article before the name belongs to it too.
        if start > 0 and typed[start - 1] in _DISTRICT_ARTICLES:
            used[start - 1] = True
        return name

    def _match_vocabulary(
        self, typed: list[str], used: list[bool], stopwords: frozenset[str]
    ) -> list[tuple[int, Entry, float]]:
        """Vocabulary entries found in the query: (position, entry, confidence).

        The longest match wins: a word inside a matched phrase does not count on its own
        ("casa de banho" is a bathroom, not a house; "غسيل الملابس" is laundry, not clothes).
        """
        candidates = [
            {} if used[i] else self._vocabulary_candidates(word) for i, word in enumerate(typed)
        ]
        matches: list[tuple[int, Entry, float]] = []
        in_phrase = [False] * len(typed)
        for start, known in enumerate(candidates):
            for first in known:
                for entry in self._phrases.get(first, ()):
                    end = start + len(entry.words)
                    if end > len(typed):
                        continue
                    span = zip(range(start, end), entry.words, strict=True)
                    distances = [candidates[i].get(word) for i, word in span]
                    if any(d is None for d in distances):
                        continue
                    worst = max(d for d in distances if d is not None)
                    matches.append((start, entry, FUZZY_FACTORS[worst]))
                    in_phrase[start:end] = [True] * len(entry.words)
        for start, known in enumerate(candidates):
            if in_phrase[start] or typed[start] in stopwords:
                continue
            for first, distance in known.items():
                for entry in self._single.get(first, ()):
                    matches.append((start, entry, FUZZY_FACTORS[distance]))
        return matches

    def _vocabulary_candidates(self, word: str) -> dict[str, int]:
        """Vocabulary words ``word`` may be, with their distance. A word that exists as typed
        (in services' texts or among stopwords) is not a typo: "read" is not "bread"."""
        found: dict[str, int] = {}
        if word in self._vocabulary_words or not (
            word in self._text_words or word in self._all_stopwords
        ):
            found.update(self._vocabulary_words.lookup(word))
        bare = without_proclitic(word)
        if bare is not None and bare in self._vocabulary_words:
            found.setdefault(bare, 0)
        return found

    def _term(self, word: str, factor: float, typed: bool = True) -> Term:
        return Term(
            word,
            tuple(
                (known, FUZZY_FACTORS[distance] * factor)
                for known, distance in self._text_words.lookup(word, closest=False)
            ),
            typed,
        )

    # -- scoring ----------------------------------------------------------------------------

    def score(self, analysis: Analysis) -> Scores:
        """Relevance per service position; services the query does not point to are absent."""
        scores: dict[int, float] = {}
        for match in analysis.categories:
            points = CATEGORY_POINTS * match.confidence
            members = self._members.get(match.category, ())
            if not scores:
                scores = dict.fromkeys(members, points)
                continue
            for position in members:
                scores[position] = scores.get(position, 0.0) + points
        name_hits: dict[int, int] = {}
        for term in analysis.terms:
            best: dict[int, float] = {}
            in_name: set[int] = set()
            for known, factor in term.candidates:
                weight = self._idf[known] * factor
                for code, ids in enumerate(self._postings[known]):
                    value = FIELD_WEIGHTS[code] * weight
                    if value < MIN_CONTRIBUTION:
                        break  # fields come in decreasing weight
                    if code == NAME and term.typed:
                        in_name.update(ids)
                    if not best:
                        best = dict.fromkeys(ids, value)
                        continue
                    for position in ids:
                        if value > best.get(position, 0.0):
                            best[position] = value
            for position, value in best.items():
                scores[position] = scores.get(position, 0.0) + value
            for position in in_name:
                name_hits[position] = name_hits.get(position, 0) + 1
        for position in self._named(analysis.terms):
            scores[position] = scores.get(position, 0.0) + CATEGORY_POINTS
        if not scores:
            return Scores({}, {})
        floor = max(scores.values()) * MIN_SHARE_OF_BEST
        kept = {position: value for position, value in scores.items() if value >= floor}
        return Scores(kept, name_hits)

    def _named(self, terms: Sequence[Term]) -> set[int]:
        """Services whose name holds every word of a query of several words: the resident
        named the place ("secours populaire"), which says more than any category word."""
        typed = [term for term in terms if term.typed]
        if len(typed) < 2:
            return set()
        named: set[int] | None = None
        for term in typed:
            found = {p for known, _ in term.candidates for p in self._postings[known][NAME]}
            named = found if named is None else named & found
            if not named:
                return set()
        return named or set()

    def reasons(self, position: int, analysis: Analysis) -> list[str]:
        """Why the service at ``position`` matched: its categories, then its words."""
        found = [
            f"category:{match.category} via '{match.phrase}'"
            for match in analysis.categories
            if match.category in self.records[position].categories
        ]
        for term in analysis.terms:
            label = next(
                (
                    f"{FIELD_LABELS[code]}:{known}"
                    for known, factor in term.candidates
                    for code, ids in enumerate(self._postings[known])
                    if FIELD_WEIGHTS[code] * self._idf[known] * factor >= MIN_CONTRIBUTION
                    and _holds(ids, position)
                ),
                None,
            )
            if label is not None:
                found.append(label)
        return found

    def in_area(self, postcode: str | None, district: str | None) -> set[int]:
        """Services with a place in the area, by its postcode or its district (as
        :meth:`gateway.directory.queries.Area.contains` decides for one place)."""
        found = self._by_postcode.get(postcode, set()) if postcode else set()
        if district:
            found = found | self._by_district.get(district.casefold(), set())
        return found


def unit_vector(latitude: float, longitude: float) -> tuple[float, float, float]:
    lat, lon = math.radians(latitude), math.radians(longitude)
    return (math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat))


def _holds(ids: array[int], position: int) -> bool:
    at = bisect_left(ids, position)
    return at < len(ids) and ids[at] == position


def _sort_name(record: ServiceRecord) -> str:
    texts = record.texts.get("fr") or next(iter(record.texts.values()), {})
    return texts.get("name", "").casefold()


def _district_words(district: str) -> tuple[str, ...]:
    found = words(district)
    while found and found[0] in _DISTRICT_ARTICLES:
        found = found[1:]
    return tuple(found)


def _close(typed: str, known: str) -> bool:
    """Whether a typed word may mean a district's word. Short ones must be exact: "dort"
    is not "Port", "care" not "Gare"."""
    if typed == known:
        return True
    if min(len(typed), len(known)) < DISTRICT_MIN_FUZZY:
        return False
    allowed = min(max_edits(len(typed)), max_edits(len(known)))
    return edit_distance(typed, known, allowed) <= allowed


def _best_categories(matches: list[tuple[int, Entry, float]]) -> tuple[CategoryMatch, ...]:
    best: dict[str, CategoryMatch] = {}
    for position, entry, confidence in matches:
        for category in entry.categories:
            known = best.get(category)
            if known is None or (confidence, -position) > (known.confidence, -known.position):
                best[category] = CategoryMatch(category, confidence, position, entry.phrase)
    return tuple(sorted(best.values(), key=lambda m: (-m.confidence, m.position, m.category)))
