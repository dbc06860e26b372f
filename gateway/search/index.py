"""The in-memory search index: what a query means, and which services it points to.

Built from plain :class:`~gateway.search.records.ServiceRecord` values and a
:class:`~gateway.search.vocabulary.Vocabulary`, it answers in two steps: :meth:`analyse`
reads the query (language, area, categories through the vocabulary, words to look for), then
:meth:`score` gives each relevant service a relevance. Ordering is :mod:`gateway.search.rank`.

Relevance adds up: a category the query maps to is worth :data:`CATEGORY_POINTS`; each query
word found in a service's own texts adds up to :data:`FIELD_WEIGHTS` (name, summary,
description), scaled by how rare the word is and how exactly it matched; a query of several
words that are all in one service's name is worth a category again (the place was named).

An edit does not rebuild it: :meth:`SearchIndex.following` makes the index of the edited
directory from this one, copying only what the edited services touch, while requests go on
reading this one (built whole, 100,000 services take tens of seconds; followed, an edit
takes milliseconds: ``bench/search.py``).
"""

from __future__ import annotations

import math
import re
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence, Set
from copy import copy
from dataclasses import dataclass

from immutables import Map, MapMutation

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
assert tuple(_FIELD_CODES) == INDEXED_FIELDS
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
# Ranks in name order are this far apart after a whole build: room for many edits between
# two neighbours before ranks are numbered again.
ORDER_GAP = 1 << 20
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
    """The index of a directory's services; :meth:`following` makes the index of the
    directory after an edit from this one, sharing what the edit did not touch.

    Each service has a *slot*, a stable number that postings, categories, areas and points
    refer to; ``order`` gives each slot its rank in name order (then id), the final tiebreak
    of ranking. A whole build numbers slots in that order; an edit keeps a service's slot
    and moves its rank, and a service added takes a new slot.
    """

    def __init__(self, records: Iterable[ServiceRecord], vocabulary: Vocabulary) -> None:
        ordered = sorted(records, key=_sort_key)
        self.records: list[ServiceRecord | None] = list(ordered)
        self._slots = Map({record.id: slot for slot, record in enumerate(ordered)})
        self._keys = [_sort_key(record) for record in ordered]
        self._key_slots = list(range(len(ordered)))
        self.order = array("q", range(0, len(ordered) * ORDER_GAP, ORDER_GAP))
        self._stopwords = vocabulary.stopwords
        self._all_stopwords = frozenset().union(*vocabulary.stopwords.values())
        self._guesser = LanguageGuesser(vocabulary.known_words())
        self._build_vocabulary(vocabulary.entries)
        self._build_texts()
        self._build_places()
        self.openings = OpeningTimes(ordered)

    def __len__(self) -> int:
        """How many services the index holds."""
        return len(self._slots)

    # -- building ---------------------------------------------------------------------------

    def _build_vocabulary(self, entries: Sequence[Entry]) -> None:
        self._single: dict[str, list[Entry]] = {}
        self._phrases: dict[str, list[Entry]] = {}
        for entry in entries:
            table = self._single if len(entry.words) == 1 else self._phrases
            table.setdefault(entry.words[0], []).append(entry)
        self._vocabulary_words = TypoIndex(word for entry in entries for word in entry.words)

    def _build_texts(self) -> None:
        """Word -> service slots per field (name, summary, description), each service
        under its best field only; compact sorted arrays. And each category's members."""
        postings: dict[str, list[array[int]]] = {}
        members: dict[str, array[int]] = {}
        for slot, record in enumerate(self.records):
            assert record is not None
            for word, code in self._best_fields(record).items():
                fields = postings.get(word)
                if fields is None:
                    fields = postings[word] = [_NO_SLOTS, _NO_SLOTS, _NO_SLOTS]
                if not fields[code]:
                    fields[code] = array("I")
                fields[code].append(slot)
            for category in record.categories:
                members.setdefault(category, array("I")).append(slot)
        self._postings: Map[str, Postings] = Map(
            {word: (fields[0], fields[1], fields[2]) for word, fields in postings.items()}
        )
        self._members = members
        self._text_words = TypoIndex(postings)

    def _best_fields(self, record: ServiceRecord) -> dict[str, int]:
        """Each word of the service's texts, with the best field it is in."""
        best: dict[str, int] = {}
        fields = [(NAME, record.organization)] + [
            (_FIELD_CODES[field], value)
            for texts in record.texts.values()
            for field, value in texts.items()
            if field in _FIELD_CODES
        ]
        for code, value in fields:
            for word in words(value):
                if word not in self._all_stopwords and best.get(word, DESCRIPTION + 1) > code:
                    best[word] = code
        return best

    def _build_places(self) -> None:
        self._by_postcode: dict[str, frozenset[int]] = {}
        self._by_district: dict[str, frozenset[int]] = {}
        by_postcode: dict[str, set[int]] = {}
        by_district: dict[str, set[int]] = {}
        self._district_names: Counter[str] = Counter()
        # Each service's first place as a point on the unit sphere (the nearer of two places
        # to a centre has the larger dot product with it); further places aside. A service
        # without coordinates is at the origin, marked "unplaced".
        self.point_x, self.point_y, self.point_z = array("d"), array("d"), array("d")
        self.unplaced = array("B")
        self.more_points: dict[int, tuple[tuple[float, float, float], ...]] = {}
        for slot, record in enumerate(self.records):
            assert record is not None
            for place in record.places:
                by_postcode.setdefault(place.postcode, set()).add(slot)
                by_district.setdefault(place.district.casefold(), set()).add(slot)
                self._district_names[place.district] += 1
            x, y, z = self._place_points(slot, record, self.more_points)
            self.point_x.append(x)
            self.point_y.append(y)
            self.point_z.append(z)
            self.unplaced.append(not (x or y or z))
        self._by_postcode = {key: frozenset(slots) for key, slots in by_postcode.items()}
        self._by_district = {key: frozenset(slots) for key, slots in by_district.items()}
        self._build_districts()

    @staticmethod
    def _place_points(
        slot: int,
        record: ServiceRecord,
        more_points: dict[int, tuple[tuple[float, float, float], ...]],
    ) -> tuple[float, float, float]:
        """The service's first point (the origin when it has none); its others go in
        ``more_points``."""
        points = tuple(
            unit_vector(p.latitude, p.longitude)
            for p in record.places
            if p.latitude is not None and p.longitude is not None
        )
        if len(points) > 1:
            more_points[slot] = points[1:]
        return points[0] if points else (0.0, 0.0, 0.0)

    def _build_districts(self) -> None:
        """The districts a query may name, each under its words (articles left out) and
        spelt as most of its places spell it."""
        districts: dict[tuple[str, ...], str] = {}
        for name, _count in sorted(self._district_names.items(), key=lambda kv: (-kv[1], kv[0])):
            core = _district_words(name)
            if core:
                districts.setdefault(core, name)
        self._districts_by_first: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for core, name in sorted(districts.items()):
            self._districts_by_first.setdefault(core[0], []).append((core, name))
        self._district_words = TypoIndex(self._districts_by_first)

    # -- following the directory -------------------------------------------------------------

    def following(self, changed: Mapping[str, ServiceRecord | None]) -> SearchIndex:
        """This index with the ``changed`` services replaced (None: no longer listed).

        This index is left as it is, for the requests reading it: the new one shares every
        table the change does not touch and copies those it does (the postings of the
        services' old and new words, their categories and areas; the tables of words and
        ids are persistent maps, which share all but the path to what changed), so an edit
        costs about its own words, not a build.
        """
        new = copy(self)
        new.records = list(self.records)
        slots, postings = self._slots.mutate(), self._postings.mutate()
        new._keys, new._key_slots = list(self._keys), list(self._key_slots)
        new.order = array("q", self.order)
        new._members = dict(self._members)
        new._by_postcode, new._by_district = dict(self._by_postcode), dict(self._by_district)
        new._district_names = Counter(self._district_names)
        new.point_x, new.point_y = array("d", self.point_x), array("d", self.point_y)
        new.point_z, new.unplaced = array("d", self.point_z), array("B", self.unplaced)
        new.more_points = dict(self.more_points)
        districts = set(self._district_names)
        added_words: list[str] = []
        placed: dict[int, ServiceRecord] = {}
        for service_id, record in changed.items():
            slot = slots.get(service_id)
            if slot is not None:
                new._forget(slot, postings)
            if record is None:
                if slot is not None:
                    del slots[service_id]
                continue
            if slot is None:
                slot = slots[service_id] = len(new.records)
                new.records.append(record)
                for points in (new.point_x, new.point_y, new.point_z):
                    points.append(0.0)
                new.unplaced.append(1)
                new.order.append(0)
            new.records[slot] = record
            added_words.extend(new._remember(slot, record, postings))
            placed[slot] = record
        new._slots, new._postings = slots.finish(), postings.finish()
        new._text_words = self._text_words.extended(added_words)
        if set(+new._district_names) != districts:
            new._district_names = +new._district_names
            new._build_districts()
        new.openings = self.openings.following(placed)
        return new

    def _forget(self, slot: int, postings: MapMutation[str, Postings]) -> None:
        """Take the service in ``slot`` out of every table (copied first: see
        :meth:`following`); its slot stays, empty, until it is filled again."""
        record = self.records[slot]
        assert record is not None
        for word, code in self._best_fields(record).items():
            fields = list(postings[word])
            fields[code] = _without(fields[code], slot)
            if any(fields):
                postings[word] = (fields[0], fields[1], fields[2])
            else:
                del postings[word]  # the typo index may still know it: harmless
        for category in record.categories:
            self._members[category] = _without(self._members[category], slot)
        for place in record.places:
            for table, key in (
                (self._by_postcode, place.postcode),
                (self._by_district, place.district.casefold()),
            ):
                table[key] = table[key] - {slot}
            self._district_names[place.district] -= 1
        self.more_points.pop(slot, None)
        at = bisect_left(self._keys, _sort_key(record))
        del self._keys[at], self._key_slots[at]
        self.records[slot] = None

    def _remember(
        self, slot: int, record: ServiceRecord, postings: MapMutation[str, Postings]
    ) -> list[str]:
        """Put ``record`` in ``slot`` of every table; the words the index did not know."""
        new_words = []
        for word, code in self._best_fields(record).items():
            fields = list(postings.get(word, (_NO_SLOTS, _NO_SLOTS, _NO_SLOTS)))
            if not any(fields):
                new_words.append(word)
            fields[code] = _with(fields[code], slot)
            postings[word] = (fields[0], fields[1], fields[2])
        for category in record.categories:
            self._members[category] = _with(self._members.get(category, _NO_SLOTS), slot)
        for place in record.places:
            for table, key in (
                (self._by_postcode, place.postcode),
                (self._by_district, place.district.casefold()),
            ):
                table[key] = table.get(key, frozenset()) | {slot}
            self._district_names[place.district] += 1
        x, y, z = self._place_points(slot, record, self.more_points)
        self.point_x[slot], self.point_y[slot], self.point_z[slot] = x, y, z
        self.unplaced[slot] = not (x or y or z)
        sort_key = _sort_key(record)
        at = bisect_left(self._keys, sort_key)
        self._keys.insert(at, sort_key)
        self._key_slots.insert(at, slot)
        before = self.order[self._key_slots[at - 1]] if at > 0 else -ORDER_GAP
        after = (
            self.order[self._key_slots[at + 1]]
            if at + 1 < len(self._key_slots)
            else before + 2 * ORDER_GAP
        )
        if after - before < 2:
            # No room left between the neighbours: number every rank again, gaps restored.
            for rank, numbered in enumerate(self._key_slots):
                self.order[numbered] = rank * ORDER_GAP
        else:
            self.order[slot] = (before + after) // 2
        return new_words

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
            word in self._postings or word in self._all_stopwords
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
                if known in self._postings  # a word no service has any more is left out
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
                weight = self._idf(known) * factor
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

    def _idf(self, word: str) -> float:
        """How rare ``word`` is among the services, from 0 (in all) to 1 (in one)."""
        count = len(self._slots)
        return math.log((count + 1) / sum(map(len, self._postings[word]))) / math.log(count + 1)

    def record(self, slot: int) -> ServiceRecord:
        """The service in ``slot`` (one a score or a posting named)."""
        record = self.records[slot]
        assert record is not None, "an empty slot is in no table"
        return record

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
            if match.category in self.record(position).categories
        ]
        for term in analysis.terms:
            label = next(
                (
                    f"{FIELD_LABELS[code]}:{known}"
                    for known, factor in term.candidates
                    for code, ids in enumerate(self._postings[known])
                    if FIELD_WEIGHTS[code] * self._idf(known) * factor >= MIN_CONTRIBUTION
                    and _holds(ids, position)
                ),
                None,
            )
            if label is not None:
                found.append(label)
        return found

    def in_area(self, postcode: str | None, district: str | None) -> Set[int]:
        """Services with a place in the area, by its postcode or its district (as
        :meth:`gateway.directory.queries.Area.contains` decides for one place)."""
        found = self._by_postcode.get(postcode, frozenset()) if postcode else frozenset()
        if district:
            found = found | self._by_district.get(district.casefold(), frozenset())
        return found


def unit_vector(latitude: float, longitude: float) -> tuple[float, float, float]:
    lat, lon = math.radians(latitude), math.radians(longitude)
    return (math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat))


def _holds(ids: array[int], position: int) -> bool:
    at = bisect_left(ids, position)
    return at < len(ids) and ids[at] == position


# The slots of no service: shared by every empty field of the postings, never changed.
_NO_SLOTS: array[int] = array("I")
# A word's services, by the best field it is in: (name, summary, description).
Postings = tuple["array[int]", "array[int]", "array[int]"]


def _with(slots: array[int], slot: int) -> array[int]:
    """A copy of the sorted ``slots`` with ``slot`` in its place."""
    grown = array("I", slots)
    grown.insert(bisect_left(grown, slot), slot)
    return grown


def _without(slots: array[int], slot: int) -> array[int]:
    """The sorted ``slots`` less ``slot``: a copy when it was there."""
    at = bisect_left(slots, slot)
    if at == len(slots) or slots[at] != slot:
        return slots
    return slots[:at] + slots[at + 1 :] if len(slots) > 1 else _NO_SLOTS


def _sort_key(record: ServiceRecord) -> tuple[str, str]:
    """Name order (French, else the first locale's name), then id."""
    texts = record.texts.get("fr") or next(iter(record.texts.values()), {})
    return (texts.get("name", "").casefold(), record.id)


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
