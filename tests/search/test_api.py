"""The search API over a real database: index rebuilds, areas, recording queries."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from gateway.directory.operations import bump_directory_version
from gateway.directory.queries import find_area
from gateway.models import SearchQuery, ServiceStatus
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
    bump_directory_version(session, [service.id])
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
    assert row.area is None


def test_record_query_keeps_area_and_no_result(session, make_service):
    make_service("Épicerie solidaire", categories=("food",), postcode="45130")
    found = search(session, "faim 45130 +33 6 12 34 56 78", at=AT, timezone=TZ)
    record_query(session, found, channel="web", locale="en")
    nothing = search(session, "je veux svp", at=AT, timezone=TZ)
    record_query(session, nothing, channel="voice", locale="en")
    rows = session.scalars(select(SearchQuery).order_by(SearchQuery.id)).all()
    assert [(r.channel, r.locale, r.area, r.category, r.result_count) for r in rows] == [
        ("web", "fr", "45130", "food", 1),
        ("voice", "fr", None, None, 0),
    ]
    assert rows[0].text == "faim 45130"
    assert rows[1].no_result


def test_a_named_area_orders_and_is_returned(session, make_service):
    far = make_service("Épicerie A", postcode="45100", district="Centre-ville", latitude=47.95)
    near = make_service("Épicerie B", postcode="45130", district="Les Tilleuls", latitude=47.91)
    by_name = search(session, "manger", at=AT, timezone=TZ)
    assert [hit.service_id for hit in by_name.hits] == [far.id, near.id]
    assert by_name.area is None
    for text in ["manger aux tilleuls", "manger 45130"]:
        result = search(session, text, at=AT, timezone=TZ)
        assert [hit.service_id for hit in result.hits] == [near.id, far.id], text
        assert result.area is not None and result.area.latitude == pytest.approx(47.91)


def test_the_residents_known_area_orders_too(session, make_service):
    far = make_service("Épicerie A", postcode="45100", district="Centre-ville")
    near = make_service("Épicerie B", postcode="45130", district="Les Tilleuls")
    known = find_area(session, postcode="45130")
    result = search(session, "manger", at=AT, timezone=TZ, area=known)
    assert [hit.service_id for hit in result.hits] == [near.id, far.id]
    assert result.area is None  # the text named none


def test_open_now_first_from_the_database(session, make_service):
    later = make_service("Aaa", hours=[(2, "18:00", "20:00")])
    now = make_service("Zzz", hours=[(2, "09:00", "12:00")])
    result = search(session, "bouffe", at=AT, timezone=TZ)
    assert [hit.service_id for hit in result.hits] == [now.id, later.id]
    assert result.hits[0].reasons == ("category:food via 'bouffe'", "open now")
    assert search(session, "bouffe", at=AT, timezone=TZ) == result


def test_unlisted_services_are_not_found(session, make_service):
    make_service("Épicerie fermée", status=ServiceStatus.INACTIVE)
    assert search(session, "épicerie", at=AT, timezone=TZ).no_result
