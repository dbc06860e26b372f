from __future__ import annotations

import pytest

from gateway.search import detect_language


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        ("أريد أكل", "ar"),
        ("اين يمكنني النوم 45130", "ar"),
        ("де поїсти", "uk"),
        ("Где поесть?", "uk"),  # Cyrillic: Ukrainian is the only one we serve
        ("jai rien a mangé", "fr"),
        ("ou je peux me laver svp", "fr"),
        ("I need food", "en"),
        ("where can i sleep tonight", "en"),
        ("necesito ropa por favor", "es"),
        ("donde puedo comer", "es"),
        ("preciso de roupa", "pt"),
        ("onde posso tomar banho", "pt"),
    ],
)
def test_language_from_script_then_vocabulary(text, locale):
    assert detect_language(text) == locale


@pytest.mark.parametrize("text", ["", "45130", "?!", "Tilleuls", "ok", "de"])
def test_unsure_is_none(text):
    assert detect_language(text) is None
