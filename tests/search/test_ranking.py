"""Ranking rules over plain records: relevance, area, open now, distance, then name and id."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from gateway.directory.queries import Area
from gateway.search.index import SearchIndex
from tests.search.conftest import record

WEEKDAYS = tuple((day, "09:00", "17:00") for day in range(7))
EVENINGS = tuple((day, "18:00", "21:00") for day in range(7))
NIGHTS = tuple((day, "19:00", "08:00") for day in range(7))


def ids(result):
    return [hit.service_id for hit in result.hits]


def test_open_now_before_opening_later_before_no_hours(ask):
    records = [
        record("a", "Aaa", hours=()),
        record("b", "Bbb", hours=EVENINGS),
        record("c", "Ccc", hours=WEEKDAYS),
        record("d", "Ddd", hours=WEEKDAYS, active=False),
    ]
    result = ask(records, "j'ai faim")
    assert ids(result) == ["c", "b", "a", "d"]
    assert "open now" in result.hits[0].reasons
    assert "open now" not in result.hits[1].reasons


def test_overnight_shelter_is_open_in_the_small_hours(ask):
    records = [record("day", "Jour", ("shelter",), hours=WEEKDAYS)]
    records.append(record("night", "Nuit", ("shelter",), hours=NIGHTS))
    at = datetime(2025, 3, 12, 2, 0, tzinfo=UTC)  # 03:00 in Paris
    assert ids(ask(records, "dormir", at=at)) == ["night", "day"]


def test_nearer_first_when_hours_tie(ask):
    records = [
        record("far", "Aaa", hours=WEEKDAYS, latitude=47.95, longitude=1.95),
        record("near", "Zzz", hours=WEEKDAYS, latitude=47.901, longitude=1.901),
    ]
    centre = Area(None, None, 47.90, 1.90)
    assert ids(ask(records, "manger", area=centre)) == ["near", "far"]
    assert ids(ask(records, "manger")) == ["far", "near"]  # no area: by name


def test_services_in_the_named_area_come_first(ask):
    records = [
        record("here", "Zzz", hours=(), district="Les Tilleuls", postcode="45130"),
        record("open", "Aaa", hours=WEEKDAYS, district="Le Port", postcode="45140"),
    ]
    tilleuls = Area(None, "Les Tilleuls", 47.9, 1.9)
    result = ask(records, "manger tilleuls", area=tilleuls)
    assert ids(result) == ["here", "open"]
    assert "area:Les Tilleuls" in result.hits[0].reasons
    assert ids(ask(records, "manger", area=Area("45130", None, None, None))) == ["here", "open"]


def test_district_names_are_read_from_the_text(vocabulary):
    records = [
        record("a", "Aaa", district="Les Tilleuls"),
        record("b", "Bbb", district="Saint-Martin"),
        record("c", "Ccc", district="Les Hauts-de-Lisle"),
    ]
    index = SearchIndex(records, vocabulary)
    for text, district in [
        ("manger aux Tilleuls", "Les Tilleuls"),
        ("manger tilleul", "Les Tilleuls"),
        ("manger st martin", "Saint-Martin"),
        ("manger saint-martin", "Saint-Martin"),
        ("manger hauts de lisle", "Les Hauts-de-Lisle"),
        ("manger martin", None),
    ]:
        analysis = index.analyse(text)
        assert analysis.district == district, text
        assert [m.category for m in analysis.categories] == ["food"], text
    assert index.analyse("faim 45130").postcode == "45130"


def test_relevance_comes_before_hours(ask):
    records = [
        record("cat", "Aaa", ("food",), hours=WEEKDAYS),
        record("named", "Restos du Cœur", ("food",), hours=()),
        record("other", "Bbb", ("hygiene",), description="On peut y manger.", hours=WEEKDAYS),
    ]
    result = ask(records, "restos du coeur")
    assert ids(result)[0] == "named"
    assert "name:restos" in result.hits[0].reasons


def test_a_word_in_a_description_never_floods_a_category(ask):
    records = [
        record("food", "Épicerie", ("food",)),
        record("aside", "Laverie", ("hygiene",), description="Un café, et rien à manger."),
    ]
    assert ids(ask(records, "manger")) == ["food"]


def test_words_of_any_locale_find_service_texts(ask):
    records = [
        record("pmi", "PMI Centre", ("family", "health")),
        record("baths", "Bains", ("hygiene",), texts={"en": {"name": "Public showers"}}),
        record("other", "Autre", ("hygiene",)),
    ]
    assert ids(ask(records, "pmi"))[0] == "pmi"
    result = ask(records, "public showers")
    assert ids(result)[0] == "baths"
    assert "name:public" in result.hits[0].reasons


def test_no_result_is_empty_never_a_random_list(ask):
    records = [record("a", "Épicerie", ("food",)), record("b", "Douches", ("hygiene",))]
    for text in ["", "je veux svp", "???", "zzzz qqqq", "45130"]:
        result = ask(records, text)
        assert result.no_result and result.hits == (), text


def test_limit_and_determinism(ask):
    records = [record(f"s{n:03}", "Même nom", hours=WEEKDAYS) for n in range(30)]
    first = ask(records, "manger", limit=10)
    assert ids(first) == [f"s{n:03}" for n in range(10)]
    shuffled = list(reversed(records))
    assert ask(shuffled, "manger", limit=10) == first


@pytest.mark.parametrize("hours", [WEEKDAYS, EVENINGS, NIGHTS, ()])
def test_opening_times_agree_with_directory_hours(vocabulary, hours):
    from gateway.directory.hours import DatedClosure, Hours

    closure = DatedClosure(date(2025, 3, 13), date(2025, 3, 14))
    service = replace(record("x", "X", hours=hours), closures=(closure,))
    index = SearchIndex([service], vocabulary)
    real = Hours(service.ranges, service.closures, "Europe/Paris")
    start = datetime(2025, 3, 11, 22, 30, tzinfo=UTC)
    for step in range(0, 24 * 60 * 5, 37):  # across days and the closure
        at = start + timedelta(minutes=step)
        expected = real.status(at).minutes_to_opening
        assert index.openings.minutes([0], at, "Europe/Paris")[0] == expected, at


def test_opening_times_count_real_minutes_across_a_dst_change(vocabulary):
    """The wait is elapsed time, not wall-clock time, in the index as in ``Hours.status``."""
    from gateway.directory.hours import Hours

    service = record("x", "X", hours=EVENINGS)
    index = SearchIndex([service], vocabulary)
    real = Hours(service.ranges, (), "Europe/Paris")
    start = datetime(2025, 3, 29, 12, 0, tzinfo=UTC)  # Paris springs forward on the 30th
    for step in range(0, 24 * 60 * 3, 23):
        at = start + timedelta(minutes=step)
        status = real.status(at)
        elapsed = None
        if status.next_opening is not None:
            elapsed = int((status.next_opening.starts.timestamp() - at.timestamp()) // 60)
        assert status.minutes_to_opening == (0 if status.open_now else elapsed)
        assert index.openings.minutes([0], at, "Europe/Paris")[0] == status.minutes_to_opening


def test_short_district_words_must_be_exact(vocabulary):
    index = SearchIndex([record("a", "Aaa", district="Le Port")], vocabulary)
    assert index.analyse("on dort dehors").district is None
    assert index.analyse("manger au port").district == "Le Port"


def test_a_named_place_beats_a_category_word(ask):
    records = [
        record("sp", "Vestiaire", ("clothing",), texts={"en": {"name": "Secours populaire shop"}}),
        record("samu", "SAMU", ("emergency",), hours=WEEKDAYS),
    ]
    result = ask(records, "secours populaire")  # "secours" is also an emergency word
    assert ids(result)[0] == "sp"
    assert result.categories == ("emergency",)


def test_the_residents_own_words_in_a_name_come_before_hours(ask):
    records = [
        record("help", "Aide numérique", ("digital",), hours=WEEKDAYS),
        record("phones", "Téléphones reconditionnés", ("digital",), hours=EVENINGS),
    ]
    result = ask(records, "telephone pas cher")
    assert ids(result) == ["phones", "help"]
    assert "name:telephones" in result.hits[0].reasons


def test_a_pasted_page_is_read_up_to_a_question_s_length(vocabulary):
    index = SearchIndex([record("a", "Épicerie")], vocabulary)
    analysis = index.analyse("bla " * 5000 + "faim")
    assert analysis.categories == ()
    assert len(index.analyse("faim " + "bla " * 5000).kept_words) == 40
