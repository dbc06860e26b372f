"""An index that follows edits answers exactly as one built whole from the same services,
and the index it was made from, which requests may still be reading, is left as it was."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gateway.search.api import answer
from gateway.search.index import SearchIndex
from gateway.search.records import Place, ServiceRecord
from gateway.search.vocabulary import Vocabulary
from tests.search.conftest import AT, TZ, record

QUESTIONS = (
    "j'ai faim",
    "repas",
    "douches",
    "douche gare",
    "epicerie solidaire",
    "restos du coeur",
    "manger au port",
    "bains",
    "vestiaire 45130",
    "soupe",
)
WEEKDAYS = tuple((day, "09:00", "17:00") for day in range(5))


def city() -> list[ServiceRecord]:
    return [
        record("a", "Restos du Coeur", summary="repas chauds", hours=WEEKDAYS),
        record("b", "Épicerie solidaire", district="La Gare"),
        record("c", "Bains du Canal", ("hygiene",), summary="douches gratuites"),
        record("d", "Vestiaire", ("clothing",), postcode="45130", district="Le Port"),
        record("e", "Soupe du soir", summary="repas", latitude=None, longitude=None),
    ]


def answers(index: SearchIndex) -> list[list[tuple[str, float, tuple[str, ...]]]]:
    found = []
    for question in QUESTIONS:
        result = answer(index, index.analyse(question), at=AT, timezone=TZ, area=None, limit=50)
        found.append([(hit.service_id, hit.score, hit.reasons) for hit in result.hits])
    return found


def edited(records: list[ServiceRecord], changed: dict[str, ServiceRecord | None]):  # type: ignore[no-untyped-def]
    kept = [changed.get(r.id, r) for r in records]
    added = [r for id, r in changed.items() if r is not None and id not in {x.id for x in records}]
    return [r for r in kept if r is not None] + added


EDITS: list[dict[str, ServiceRecord | None]] = [
    {"a": record("a", "Zèbre Café", summary="cafés et repas", hours=WEEKDAYS)},
    {"c": None},
    {"f": record("f", "Douches du Port", ("hygiene",), district="Le Port", postcode="45160")},
    {"d": replace(city()[3], places=(Place("45100", "Les Tilleuls", 47.91, 1.91),))},
    {"b": record("b", "Épicerie solidaire", ("food", "family"), district="La Gare")},
    {"a": None, "e": record("e", "Aaa soupe", summary="soupe"), "g": record("g", "Soupe bis")},
]


@pytest.mark.parametrize("changed", EDITS)
def test_an_index_that_followed_an_edit_answers_as_one_built_whole(
    vocabulary: Vocabulary, changed: dict[str, ServiceRecord | None]
) -> None:
    before = SearchIndex(city(), vocabulary)
    followed = before.following(changed)
    assert answers(followed) == answers(SearchIndex(edited(city(), changed), vocabulary))
    assert len(followed) == len(edited(city(), changed))


def test_the_index_followed_from_answers_as_before(vocabulary: Vocabulary) -> None:
    before = SearchIndex(city(), vocabulary)
    was = answers(before)
    for changed in EDITS:
        before.following(changed)
    assert answers(before) == was


def test_edits_one_after_another_answer_as_a_whole_build(vocabulary: Vocabulary) -> None:
    records, index = city(), SearchIndex(city(), vocabulary)
    for changed in EDITS:
        records, index = edited(records, changed), index.following(changed)
        assert answers(index) == answers(SearchIndex(records, vocabulary))


def test_names_added_again_and_again_between_two_keep_name_order(vocabulary: Vocabulary) -> None:
    """Each service added lands between the last one and "Repas M", until ranks have no
    room left between them and are numbered again."""
    records = [record("a", "Repas A"), record("m", "Repas M")]
    index = SearchIndex(records, vocabulary)
    for n in range(1, 40):
        added = record(f"b{n}", "Repas " + "B" * n)
        records, index = [*records, added], index.following({added.id: added})
        assert answers(index) == answers(SearchIndex(records, vocabulary))
