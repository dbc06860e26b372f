from __future__ import annotations

import pytest

from gateway.search.typo import TypoIndex, edit_distance, max_edits


@pytest.mark.parametrize(("length", "edits"), [(1, 0), (3, 0), (4, 1), (7, 1), (8, 2), (15, 2)])
def test_tolerance_grows_with_length(length, edits):
    assert max_edits(length) == edits


def test_edit_distance_counts_a_swap_as_one():
    assert edit_distance("repas", "repsa", 2) == 1
    assert edit_distance("douche", "douche", 1) == 0
    assert edit_distance("abc", "xyz", 1) == 2  # capped at limit + 1
    assert edit_distance("logement", "lgoemnt", 2) == 2  # a swap and a deletion
    assert edit_distance("ca", "abc", 5) == 3  # no edit of a swapped pair twice (not Damerau)


@pytest.fixture(scope="module")
def known() -> TypoIndex:
    return TypoIndex(["bus", "pain", "bain", "faim", "douche", "logement", "hebergement"])


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("bus", [("bus", 0)]),
        ("bis", []),  # 3 letters: exact only
        ("bu", []),
        ("douch", [("douche", 1)]),  # 5 letters: one edit
        ("dohce", []),  # two edits is too many below 8 letters
        ("logemant", [("logement", 1)]),
        ("lojemant", [("logement", 2)]),  # 8 letters: two edits
        ("hbergemnt", [("hebergement", 2)]),
        ("hbrgemnt", []),  # three edits
        ("fain", [("bain", 1), ("faim", 1), ("pain", 1)]),  # every closest word, sorted
        ("pain", [("pain", 0)]),  # a known word is never "corrected"
    ],
)
def test_lookup_returns_closest_words_within_tolerance(known, typed, found):
    assert list(known.lookup(typed)) == found


def test_a_short_word_is_not_reached_through_a_long_words_allowance():
    # "buss" has 4 letters (one edit allowed) but "bus" has 3: no tolerance for that pair.
    assert TypoIndex(["bus"]).lookup("buss") == ()


def test_lookup_all_returns_every_word_within_tolerance():
    index = TypoIndex(["douche", "douches", "bouche"])
    assert index.lookup("douchs", closest=False) == (
        ("douche", 1),
        ("douches", 1),
    )
    assert index.lookup("douche", closest=False) == (
        ("bouche", 1),
        ("douche", 0),
        ("douches", 1),
    )
