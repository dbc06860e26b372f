from __future__ import annotations

import pytest

from gateway.search.index import SearchIndex
from gateway.search.vocabulary import VocabularyError, load_vocabulary, parse_lines


def test_lines_map_phrases_to_categories_and_words():
    vocabulary = parse_lines(
        [
            "# a comment",
            "",
            "food: rien à manger | Bouffe   # trailing comment",
            "hygiene +douche: se laver",
            "stopwords: je | veux",
        ],
        "fr",
        "fr.txt",
    )
    assert [(e.words, e.categories, e.boosts, e.phrase) for e in vocabulary.entries] == [
        (("rien", "a", "manger"), ("food",), (), "rien à manger"),
        (("bouffe",), ("food",), (), "Bouffe"),
        (("se", "laver"), ("hygiene",), ("douche",), "se laver"),
    ]
    assert vocabulary.stopwords == {"fr": frozenset({"je", "veux"})}


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("food rien a manger", "fr.txt, line 3: expected 'category: phrase | phrase'"),
        ("fod: manger", "fr.txt, line 3: unknown category 'fod'"),
        ("food: manger || bouffe", "fr.txt, line 3: empty phrase"),
        (": manger", "fr.txt, line 3: name at least one category"),
        ("food +deux mots: manger", "fr.txt, line 3: unknown category 'mots'"),
        ("food +saint-jean: manger", "fr.txt, line 3: '+saint-jean' must be + and one word"),
        ("stopwords: il y a", "fr.txt, line 3: stopword 'il y a' must be one word"),
        ("stopwords food: je", "fr.txt, line 3: a stopwords line names nothing else"),
        ("food: veux", "fr.txt, line 3: 'veux' is also a stopword (line 2)"),
    ],
)
def test_a_broken_line_is_named(line, message):
    lines = ["# vocabulary", "stopwords: je | veux", line]
    with pytest.raises(VocabularyError) as error:
        parse_lines(lines, "fr", "fr.txt")
    assert str(error.value).startswith(message)


def test_a_broken_file_is_named(tmp_path):
    (tmp_path / "fr.txt").write_text("food: manger\nhygene: douche\n", "utf-8")
    with pytest.raises(VocabularyError, match=r"fr\.txt, line 2: unknown category 'hygene'"):
        load_vocabulary(tmp_path)


def test_shipped_vocabularies_cover_every_locale_and_category(vocabulary):
    assert set(vocabulary.stopwords) == {"fr", "en", "ar", "es", "pt", "uk"}
    for locale in vocabulary.stopwords:
        covered = {c for e in vocabulary.entries if e.locale == locale for c in e.categories}
        assert len(covered) == 16, locale


@pytest.mark.parametrize(
    ("locale", "text", "category"),
    [
        ("fr", "bouffe", "food"),
        ("fr", "jai rien a mangé", "food"),
        ("fr", "J'ai faim", "food"),
        ("fr", "je dors dehors", "shelter"),
        ("fr", "115", "shelter"),
        ("fr", "je suis à la rue", "shelter"),
        ("fr", "il me bat", "violence"),
        ("fr", "mon mari me frappe", "violence"),
        ("fr", "ou se laver", "hygiene"),
        ("fr", "douche", "hygiene"),
        ("fr", "personne a qui parler", "listening"),
        ("fr", "papiers", "admin"),
        ("fr", "CAF", "admin"),
        ("fr", "titre de séjour", "admin"),
        ("fr", "kan est ouvert la douch", "hygiene"),
        ("en", "I'm hungry", "food"),
        ("en", "where can I sleep tonight", "shelter"),
        ("en", "my husband hits me", "violence"),
        ("en", "someone to talk to", "listening"),
        ("es", "tengo hambre", "food"),
        ("es", "donde puedo ducharme", "hygiene"),
        ("es", "mi marido me pega", "violence"),
        ("pt", "preciso de roupa", "clothing"),
        ("pt", "estou com fome", "food"),
        ("pt", "onde tomar banho", "hygiene"),
        ("ar", "أريد أكل", "food"),
        ("ar", "اريد اكل", "food"),
        ("ar", "زوجي يضربني", "violence"),
        ("ar", "أين أنام الليلة", "shelter"),
        ("uk", "де поїсти", "food"),
        ("uk", "Де переночувати?", "shelter"),
        ("uk", "потрібен лікар", "health"),
    ],
)
def test_everyday_phrasings_map_to_categories(vocabulary, locale, text, category):
    analysis = SearchIndex([], vocabulary).analyse(text)
    assert analysis.categories[0].category == category, (locale, text)


def test_typos_reach_single_words_but_not_short_ones(vocabulary):
    index = SearchIndex([], vocabulary)
    assert [m.category for m in index.analyse("hébergemnt").categories] == ["shelter"]
    match = index.analyse("douhce").categories[0]
    assert (match.category, match.confidence) == ("hygiene", 0.8)
    assert index.analyse("116").categories == ()  # "115" is too short for a typo


def test_only_stopwords_mean_nothing(vocabulary):
    analysis = SearchIndex([], vocabulary).analyse("je veux où svp")
    assert analysis.categories == () and analysis.terms == ()


def categories_of(index: SearchIndex, text: str) -> list[str]:
    return [match.category for match in index.analyse(text).categories]


def test_the_longest_match_wins(vocabulary):
    index = SearchIndex([], vocabulary)
    assert categories_of(index, "casa de banho") == ["hygiene"]  # not "casa", a house
    assert categories_of(index, "on dort dans la voiture") == ["shelter"]  # not transport


def test_a_real_word_is_not_taken_for_a_typo(vocabulary):
    from tests.search.conftest import record

    boat = {"en": {"name": "Boat trips", "summary": ""}}
    known = SearchIndex([record("a", "Promenades en bateau", ("family",), texts=boat)], vocabulary)
    assert categories_of(known, "boat") == []  # a word of the directory, not "coat"
    assert categories_of(SearchIndex([], vocabulary), "boat") == ["clothing"]  # a typo


def test_arabic_glued_prepositions_are_read_both_ways(vocabulary):
    index = SearchIndex([], vocabulary)
    assert categories_of(index, "مساعدة لكبار السن") == ["elderly"]
    assert categories_of(index, "بالمجان اكل") == ["food"]
