"""Search as the conversation engine and the channels call it.

The index is worked out once per process (:func:`gateway.directory.queries.
directory_snapshot`: one snapshot per process and directory version): each search reads the
version stamp (one small query, none when the caller hands over the snapshot it has). When a
social worker changes a few services, the snapshot that follows the edit carries the index
brought up to date for those services alone (:func:`follow_index`), so the next search sees
the edit. Only when a snapshot was read whole (the change log could not say what changed) is
its index built again, in a background thread while the previous one answers
(:meth:`~gateway.directory.queries.DirectorySnapshot.derived`), its hits kept to the services
the new snapshot lists; a transaction that changed the directory, and a process's first
search, build theirs before answering.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache
from time import perf_counter

from sqlalchemy import insert
from sqlalchemy.orm import Session

from gateway.directory.queries import (
    Area,
    DirectorySnapshot,
    ServiceFacts,
    directory_snapshot,
    find_area,
)
from gateway.models import SearchQuery
from gateway.privacy import scrub_personal
from gateway.search.index import Analysis, SearchIndex
from gateway.search.language import LanguageGuesser
from gateway.search.normalize import words
from gateway.search.rank import rank
from gateway.search.records import directory_records, service_record
from gateway.search.vocabulary import load_vocabulary

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Hit:
    service_id: str
    score: float
    reasons: tuple[str, ...]  # e.g. ("category:food via 'manger'", "word:douche", "open now")


@dataclass(frozen=True)
class SearchResult:
    query: str  # the text as given, phone numbers and e-mail addresses blanked
    locale: str | None  # detected from the text; None when unsure
    categories: tuple[str, ...]  # best first
    area: Area | None  # when the text named a postcode or district
    hits: tuple[Hit, ...]  # ranked
    normalised: str = ""  # the words kept for statistics (no phone number, no e-mail)

    @property
    def no_result(self) -> bool:
        return not self.hits


def build_index(directory: DirectorySnapshot) -> SearchIndex:
    """The index of a snapshot's services, built whole (:meth:`DirectorySnapshot.derived`
    keeps it)."""
    started = perf_counter()
    index = SearchIndex(directory_records(directory), load_vocabulary())
    log.info(
        "search index built",
        extra={
            "version": directory.version,
            "services": len(index),
            "seconds": round(perf_counter() - started, 3),
        },
    )
    return index


def follow_index(
    index: SearchIndex,
    changed: Mapping[str, ServiceFacts | None],
    _before: Mapping[str, ServiceFacts],
) -> SearchIndex:
    """``index`` with the ``changed`` services as they are now (None: no longer listed);
    the index knows what they were."""
    return index.following(
        {
            service_id: None if facts is None else service_record(facts)
            for service_id, facts in changed.items()
        }
    )


def current_index(session: Session, directory: DirectorySnapshot | None = None) -> SearchIndex:
    """The index for the session's database: the snapshot's own, or while it is built in the
    background, its predecessor's (which may name services the snapshot no longer lists)."""
    return (directory or directory_snapshot(session)).derived(build_index, follow_index)


def search(
    session: Session,
    text: str,
    *,
    locale: str | None = None,
    at: datetime,
    timezone: str,
    area: Area | None = None,
    limit: int = 50,
    directory: DirectorySnapshot | None = None,
) -> SearchResult:
    """Services answering ``text``, best first; no hits when nothing really matches.

    ``locale`` is the conversation's language (its stopwords apply with the detected
    language's); ``area`` the resident's known area, replaced by one named in the text;
    ``directory`` the snapshot the caller already read, if any. Phone numbers and e-mail
    addresses in ``text`` are blanked first (:func:`gateway.privacy.scrub_personal`): they
    find nothing, and the result's ``query`` is what a channel may echo, keep or count.
    """
    text = scrub_personal(text)
    directory = directory or directory_snapshot(session)
    index = current_index(session, directory)
    analysis = index.analyse(text, locale)
    named = None
    if analysis.names_area:
        named = find_area(session, postcode=analysis.postcode, district=analysis.district)
    result = answer(
        index, analysis, at=at, timezone=timezone, area=named or area, named=named, limit=limit
    )
    hits = tuple(hit for hit in result.hits if hit.service_id in directory.services)
    return result if len(hits) == len(result.hits) else replace(result, hits=hits)


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
        hits.append(Hit(index.record(found.position).id, round(found.score, 3), tuple(reasons)))
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


_RECORD = insert(SearchQuery)


def record_query(session: Session, result: SearchResult, *, channel: str, locale: str) -> None:
    """Keep an anonymous trace of the question for the statistics of unmet needs.

    Stores the query's language (detected, else the conversation's), its first category,
    area, result count and normalised words — never who asked, and no number that could be
    a phone number. One INSERT, at once; the caller commits.
    """
    area = result.area
    session.connection().execute(
        _RECORD,
        {
            "channel": channel,
            "locale": result.locale or locale,
            "text": result.normalised[:500] or None,
            "category": result.categories[0] if result.categories else None,
            "area": (area.postcode or area.district) if area is not None else None,
            "result_count": len(result.hits),
            "reasons": [f"category:{slug}" for slug in result.categories],
        },
    )
