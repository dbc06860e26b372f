"""Voice settings are checked at start-up; numbers are read digit by digit."""

from __future__ import annotations

from pathlib import Path

import pytest

from channels.voice.settings import voice_settings
from channels.voice.speech import spoken_number, with_spoken_numbers
from gateway import create_app
from gateway.config import ConfigError
from tests.conftest import settings_for

pytestmark = pytest.mark.backends("postgresql")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("VOICE_VOICES", "en=en-GB:Polly.Amy", "no voice for fr"),
        ("VOICE_VOICES", "fr=Polly.Lea", "expected language:voice"),
        ("VOICE_RATES", "*=fast-ish", "VOICE_RATES"),
        ("VOICE_RATES", "fr", "locale=value"),
    ],
)
def test_a_bad_voice_setting_stops_the_app(
    tmp_path: Path, name: str, value: str, message: str
) -> None:
    url = f"sqlite:///{tmp_path / 'unused.sqlite3'}"
    with pytest.raises(ConfigError, match=message):
        create_app(settings_for(url, LOCALES="fr", **{name: value}))


def test_rates_per_locale_and_speech_only_where_configured(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'unused.sqlite3'}"
    app = create_app(
        settings_for(url, VOICE_RATES="*=90%,ar=x-slow", VOICE_SPEECH_LANGUAGES="fr=fr-FR")
    )
    with app.app_context():
        voices = voice_settings().voices
    assert (voices["fr"].rate, voices["ar"].rate) == ("90%", "x-slow")
    assert (voices["fr"].speech, voices["en"].speech) == ("fr-FR", None)


@pytest.fixture
def settings(plain_app):  # type: ignore[no-untyped-def]
    return voice_settings()


@pytest.mark.parametrize(
    ("number", "spoken"),
    [
        ("+33261910100", "0 2, 6 1, 9 1, 0 1, 0 0"),
        ("+33 6 12 34 56 78", "0 6, 1 2, 3 4, 5 6, 7 8"),
        ("+442071234567", "+ 4 4, 2 0, 7 1, 2 3, 4 5, 6 7"),
        ("115", "1 1, 5"),
    ],
)
def test_numbers_are_read_digit_by_digit(settings, number: str, spoken: str) -> None:
    assert spoken_number(number, settings) == spoken


def test_numbers_inside_a_sentence(settings) -> None:
    assert with_spoken_numbers("Tel. +33261910100", settings) == "Tel. 0 2, 6 1, 9 1, 0 1, 0 0"
    assert with_spoken_numbers("Open 24 hours", settings) == "Open 24 hours"
