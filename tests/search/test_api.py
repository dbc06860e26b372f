"""The search API over a real database: index rebuilds, areas, recording queries."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from gateway.directory.operations import bump_directory_version
from gateway.models import SearchQuery
from gateway.search import record_query, search

# A Wednesday, 10:00 in Paris.
AT = datetime(2025, 3, 12, 9, 0, tzinfo=UTC)
TZ = "Europe/Paris"


def test_phrase_finds_category(session, make_service):
    food = make_service("Épicerie solidaire", categories=("food",))
    make_service("Douches municipales", categories=("hygiene",))
    result = search(session, "jai rien a mangé", at=AT, timezone=TZ)
    assert result.categories[0] == "food"
    assert [hit.service_id for hit in result.hits] == [food.id]
    assert result.locale == "fr"


def test_index_rebuilds_after_a_directory_change(session, make_service):
    service = make_service("Bains du Canal", categories=("hygiene",))
    assert search(session, "bains du canal", at=AT, timezone=TZ).hits
    assert search(session, "petit jardin", at=AT, timezone=TZ).no_result
    text = service.text_by_locale()["fr"]
    text.name = "Petit Jardin"
    bump_directory_version(session)
    session.flush()
    result = search(session, "petit jardin", at=AT, timezone=TZ)
    assert [hit.service_id for hit in result.hits] == [service.id]


def test_record_query_keeps_no_phone_number(session, make_service):
    make_service("Épicerie solidaire", categories=("food",))
    text = "j'ai faim appelez moi 06 12 34 56 78 ou 0612345678"
    result = search(session, text, at=AT, timezone=TZ)
    record_query(session, result, channel="sms", locale="fr")
    row = session.scalars(select(SearchQuery)).one()
    assert row.category == "food"
    assert row.result_count == 1
    assert row.locale == "fr"
    assert not any(ch.isdigit() for ch in row.text)
    assert "faim" in row.text
