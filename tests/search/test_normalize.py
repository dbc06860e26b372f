from __future__ import annotations

import pytest

from gateway.search.normalize import fold, words


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("J'AI RIEN À MANGÉ", ["j", "ai", "rien", "a", "mange"]),
        ("jai rien a mange", ["jai", "rien", "a", "mange"]),
        ("Restos du Cœur", ["restos", "du", "coeur"]),
        ("l'hôpital d'urgence", ["l", "hopital", "d", "urgence"]),
        ("aujourd'hui", ["aujourdhui"]),
        ("Saint-Martin, 45130!", ["saint", "martin", "45130"]),
        ("Niño, ação, façade, Straße", ["nino", "acao", "facade", "strasse"]),
    ],
)
def test_latin_is_case_and_accent_insensitive(typed, expected):
    assert words(typed) == expected


@pytest.mark.parametrize(
    ("variant", "plain"),
    [
        ("أكل", "اكل"),  # hamza on alef
        ("إسعاف", "اسعاف"),  # hamza below
        ("آمن", "امن"),  # madda
        ("ٱلله", "الله"),  # wasla
        ("مستشفى", "مستشفي"),  # alef maqsura
        ("وجبة", "وجبه"),  # taa marbuta
        ("مُسَاعَدَة", "مساعده"),  # harakat
        ("طـــعام", "طعام"),  # tatweel
        ("مؤسسة", "موسسه"),  # hamza on waw
        ("رئيس", "رييس"),  # hamza on yaa
        ("٤٥١٣٠", "45130"),  # Arabic-Indic digits
    ],
)
def test_arabic_letter_variants_fold(variant, plain):
    assert fold(variant) == plain


def test_arabic_article_is_dropped_from_words():
    assert words("الأكل والسكن بالمجان للنساء") == ["اكل", "سكن", "مجان", "نساء"]
    assert words("ال") == ["ال"]  # too short to be an article on a word


def test_cyrillic_stays_cyrillic():
    assert words("Де ПОЇСТИ? Ґанок, ЇЖАК, йод, ёлка") == [
        "де",
        "поїсти",
        "ганок",
        "їжак",
        "йод",
        "елка",
    ]
    assert words("м'ясо") == ["мясо"]
