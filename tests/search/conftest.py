"""Search tests build indexes from plain records: no database needed for ranking rules."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time

import pytest

from gateway.directory.hours import WeeklyRange
from gateway.search.api import SearchResult, answer
from gateway.search.index import SearchIndex
from gateway.search.records import Place, ServiceRecord
from gateway.search.vocabulary import Vocabulary, load_vocabulary

# A Wednesday, 10:00 in Paris.
AT = datetime(2025, 3, 12, 9, 0, tzinfo=UTC)
TZ = "Europe/Paris"


@pytest.fixture(scope="session")
def vocabulary() -> Vocabulary:
    return load_vocabulary()


def record(
    id: str,
    name: str,
    categories: tuple[str, ...] = ("food",),
    *,
    summary: str = "",
    description: str = "",
    texts: dict[str, dict[str, str]] | None = None,
    district: str = "Centre-ville",
    postcode: str = "45100",
    latitude: float | None = 47.90,
    longitude: float | None = 1.90,
    hours: tuple[tuple[int, str, str], ...] = (),
    active: bool = True,
) -> ServiceRecord:
    all_texts = {"fr": {"name": name, "summary": summary, "description": description}}
    all_texts.update(texts or {})
    return ServiceRecord(
        id=id,
        texts=all_texts,
        organization="",
        categories=categories,
        places=(Place(postcode, district, latitude, longitude),),
        ranges=tuple(
            WeeklyRange(day, time.fromisoformat(opens), time.fromisoformat(closes))
            for day, opens, closes in hours
        ),
        active=active,
    )


@pytest.fixture
def ask(vocabulary: Vocabulary) -> Callable[..., SearchResult]:
    """Search ``records`` for ``text`` (at :data:`AT` unless told), the database-free way."""

    def run(records: list[ServiceRecord], text: str, **options: object) -> SearchResult:
        index = SearchIndex(records, vocabulary)
        analysis = index.analyse(text, options.pop("locale", None))  # type: ignore[arg-type]
        options.setdefault("at", AT)
        options.setdefault("timezone", TZ)
        options.setdefault("area", None)
        options.setdefault("limit", 50)
        return answer(index, analysis, **options)  # type: ignore[arg-type]

    return run
