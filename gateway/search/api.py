"""Search as the conversation engine and the channels call it.

One index per process and database, rebuilt when the directory's version stamp moves: each
search reads the stamp (one small query) and, when a social worker changed something,
rebuilds before answering, so the change is searchable on the very next request.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from weakref import WeakKeyDictionary

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from gateway.directory.queries import Area, directory_version, find_area
from gateway.models import SearchQuery
from gateway.search.index import Analysis, SearchIndex
from gateway.search.language import LanguageGuesser
from gateway.search.normalize import words
from gateway.search.rank import rank
from gateway.search.records import directory_records
from gateway.search.vocabulary import load_vocabulary


@dataclass(frozen=True)
class Hit:
    service_id: str
    score: float
    reasons: tuple[str, ...]  # e.g. ("category:food via 'manger'", "word:douche", "open now")


@dataclass(frozen=True)
class SearchResult:
    query: str  # the text as given
    locale: str | None  # detected from the text; None when unsure
    categories: tuple[str, ...]  # best first
    area: Area | None  # when the text named a postcode or district
    hits: tuple[Hit, ...]  # ranked
    normalised: str = ""  # the words kept for statistics (no phone numbers)

    @property
    def no_result(self) -> bool:
        return not self.hits


@dataclass
class _Cached:
    version: int
    index: SearchIndex


# Keyed by engine, i.e. by app and database: tests that roll back start again from the same
# version numbers, so a URL alone could hand one test the index of another's rows.
_indexes: WeakKeyDictionary[Engine, _Cached] = WeakKeyDictionary()
_build_lock = threading.Lock()


def current_index(session: Session) -> SearchIndex:
    """The index for the session's database, rebuilt first if the directory changed."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    version = directory_version(session)
    cached = _indexes.get(engine)
    if cached is not None and cached.version == version:
        return cached.index
    with _build_lock:
        cached = _indexes.get(engine)
        if cached is None or cached.version != version:
            cached = _Cached(version, SearchIndex(directory_records(session), load_vocabulary()))
            _indexes[engine] = cached
    return cached.index


def search(
    session: Session,
    text: str,
    *,
    locale: str | None = None,
    at: datetime,
    timezone: str,
    area: Area | None = None,
    limit: int = 50,
) -> SearchResult:
    """Services answering ``text``, best first; no hits when nothing really matches.

    ``locale`` is the conversation's language (its stopwords apply with the detected
    language's); ``area`` the resident's known area, replaced by one named in the text.
    """
    index = current_index(session)
    analysis = index.analyse(text, locale)
    named = None
    if analysis.names_area:
        named = find_area(session, postcode=analysis.postcode, district=analysis.district)
    return answer(
        index, analysis, at=at, timezone=timezone, area=named or area, named=named, limit=limit
    )


def answer(
    index: SearchIndex,
    analysis: Analysis,
    *,
    at: datetime,
    timezone: str,
    area: Area | None,
    named: Area | None = None,
    limit: int,
) -> SearchResult:
    """Rank an analysed query over ``index`` (the database-free half of :func:`search`);
    ``area`` orders the hits, ``named`` is the area the text itself named."""
    ranked = rank(index, index.score(analysis), at=at, timezone=timezone, area=area, limit=limit)
    hits = []
    for found in ranked:
        reasons = index.reasons(found.position, analysis)
        if found.in_area and area is not None:
            reasons.append(f"area:{area.postcode or area.district}")
        if found.minutes_to_opening == 0:
            reasons.append("open now")
        hits.append(Hit(index.records[found.position].id, round(found.score, 3), tuple(reasons)))
    return SearchResult(
        query=analysis.text,
        locale=analysis.locale,
        categories=tuple(match.category for match in analysis.categories),
        area=named,
        hits=tuple(hits),
        normalised=" ".join(analysis.kept_words),
    )


@cache
def _guesser() -> LanguageGuesser:
    return LanguageGuesser(load_vocabulary().known_words())


def detect_language(text: str) -> str | None:
    """'ar' for Arabic script, 'uk' for Cyrillic, else by vocabulary; None when unsure."""
    return _guesser().guess(text, words(text))


def record_query(session: Session, result: SearchResult, *, channel: str, locale: str) -> None:
    """Keep an anonymous trace of the question for the statistics of unmet needs.

    Stores the query's language (detected, else the conversation's), its first category,
    area, result count and normalised words — never who asked, and no number that could be
    a phone number. Flushes; the caller commits.
    """
    area = result.area
    session.add(
        SearchQuery(
            channel=channel,
            locale=result.locale or locale,
            text=result.normalised[:500] or None,
            category=result.categories[0] if result.categories else None,
            area=(area.postcode or area.district) if area is not None else None,
            result_count=len(result.hits),
            reasons=[f"category:{slug}" for slug in result.categories],
        )
    )
    session.flush()
