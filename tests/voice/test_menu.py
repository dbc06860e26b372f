"""The menu as a caller meets it: languages, keys that always work, silences, wrong keys."""

from __future__ import annotations

import pytest

from channels.voice.prompts import say, say_choice
from channels.voice.settings import voice_settings
from gateway.config import SUPPORTED_LOCALES
from gateway.i18n import LANGUAGE_NAMES
from tests.conftest import translated
from tests.voice.conftest import Answer, Caller

pytestmark = pytest.mark.backends("postgresql")

DEFAULT_VOICES = {
    "fr": "fr-FR",
    "en": "en-GB",
    "ar": "arb",
    "es": "es-ES",
    "pt": "pt-PT",
    "uk": "uk-UA",
}
HELPLINE_SPOKEN = "0 2, 6 1, 9 1, 0 0, 0 0"  # +33261910000 as dialled in France
# Every level of the menu, by the keys that reach it in English (Food has 17 places).
LEVELS = {
    "languages": "",
    "menu": "2",
    "menu, page 2": "29",
    "list": "21",
    "list, page 2": "219",
    "place": "2191",
}
CALLERS = pytest.mark.parametrize("number", ["known", None], ids=["known", "hidden"])


def menu_lines(answer: Answer) -> list[str]:
    """What a screen says, without the notes that may come before it."""
    said = [said.text for said in answer.says()]
    skip = ("I did not hear", "That key does not", "There is no number")
    return [line for line in said if not line.startswith(skip)]


def test_default_voices_speak_each_language(voice_app) -> None:
    voices = voice_settings().voices
    assert {locale: voices[locale].language for locale in SUPPORTED_LOCALES} == DEFAULT_VOICES
    assert voices["ar"].name.startswith(("Polly.", "Google."))
    assert voices["uk"].name.startswith(("Polly.", "Google."))


def test_welcome_then_each_language_in_its_own_voice(call) -> None:
    answer = call().dial()
    says = answer.says()
    assert says[0].text == say("welcome", "fr", city="Val-de-Lisle").text
    for key, locale in enumerate(SUPPORTED_LOCALES, 1):
        line = next(said for said in says if said.text.startswith(LANGUAGE_NAMES[locale]))
        assert line.language == DEFAULT_VOICES[locale]
        assert line.text == say_choice(LANGUAGE_NAMES[locale], str(key), locale, None).text
    assert says[2].text.startswith("Français")  # key 1 is French
    gather = answer.gather
    assert gather.get("numDigits") == "1" and gather.get("finishOnKey") == ""
    assert gather.get("input") is None  # a language is chosen by key


@CALLERS
@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_the_menu_speaks_the_chosen_language(call, locale: str, number: str | None) -> None:
    caller: Caller = call() if number else call(None)
    caller.dial()
    answer = caller.press(str(SUPPORTED_LOCALES.index(locale) + 1))
    languages = {said.language for said in answer.says()}
    assert languages == {DEFAULT_VOICES[locale]}
    assert len([choice for choice in answer.says() if choice.text]) > 8
    gather = answer.gather
    assert gather.get("input") == "dtmf speech"
    assert gather.get("language") == voice_settings().voices[locale].speech
    assert len(gather.get("hints", "").split(", ")) == 8  # the categories heard


def test_a_known_language_skips_the_language_menu(call) -> None:
    caller: Caller = call()
    caller.dial()
    caller.press("3")  # Arabic, remembered for this number
    again = call(caller.number)
    answer = again.dial()
    assert answer.says()[0].language == "arb"
    assert "Français" not in answer.text()
    languages = again.press("#")
    assert languages.says()[1].text.startswith("Français")
    english = again.press("2")
    assert english.says()[0].language == "en-GB"


def test_calling_back_starts_at_the_menu_not_at_the_last_place_heard(call) -> None:
    first: Caller = call()
    first.dial()
    menu = first.press("1")  # French
    food = first.press("1")
    first.press("1")  # a place
    again = call(first.number)  # a new call within the conversation's 30 minutes
    assert menu.text() in again.dial().text()  # the main menu, after a greeting
    assert again.press("1").text() == food.text()  # "1" is food again, not the old list's first


@CALLERS
def test_silence_is_met_twice_then_a_gentle_goodbye(call, number: str | None) -> None:
    caller: Caller = call() if number else call(None)
    caller.dial()
    menu = caller.press("2")
    for _ in range(2):
        again = caller.wait()
        assert again.says()[0].text == translated("I did not hear anything.", "en")
        assert menu_lines(again) == menu_lines(menu)
    goodbye = caller.wait()
    assert goodbye.verbs() == ["Say", "Hangup"]
    (said,) = goodbye.says()
    assert said.language == "en-GB" and HELPLINE_SPOKEN in said.text and "Goodbye" in said.text


def test_a_key_after_a_silence_starts_the_count_again(call) -> None:
    caller: Caller = call()
    caller.dial()
    caller.press("2")
    caller.wait()
    caller.wait()
    caller.press("1")
    assert caller.wait().gather is not None  # one silence on the new screen, not a third


def reach(caller: Caller, keys: str) -> Answer:
    answer = caller.dial()
    for key in keys:
        answer = caller.press(key)
    return answer


@CALLERS
@pytest.mark.parametrize("level", LEVELS)
def test_star_repeats_every_screen(call, number: str | None, level: str) -> None:
    caller: Caller = call() if number else call(None)
    screen = reach(caller, LEVELS[level])
    # A new caller hears the language menu in French, then chose English ("2").
    locale = "fr" if level == "languages" else "en"
    star = translated("star", locale)
    assert translated("To hear this again, press %(key)s.", locale, key=star) in screen.text()
    again = caller.press("*")
    expected = menu_lines(screen)
    if level == "languages":
        expected = expected[1:]  # the welcome is said once
    assert menu_lines(again) == expected


@CALLERS
@pytest.mark.parametrize("level", ["menu, page 2", "list", "list, page 2", "place"])
def test_zero_goes_back_to_the_main_menu_from_every_level(
    call, number: str | None, level: str
) -> None:
    caller: Caller = call() if number else call(None)
    main = menu_lines(reach(call(), LEVELS["menu"]))
    screen = reach(caller, LEVELS[level])
    assert "For the main menu, press 0." in screen.text()
    assert menu_lines(caller.press("0")) == main


def test_hash_is_offered_on_a_place_and_changes_language_on_the_menu(call) -> None:
    said = {level: reach(call(), keys).text() for level, keys in LEVELS.items()}
    assert "To change the language, press hash." in said["menu"]
    assert "To get these details by text message, press hash." in said["place"]
    for level in ("languages", "list", "list, page 2"):
        assert "hash" not in said[level], level


@CALLERS
def test_an_unknown_key_says_so_and_asks_again(call, number: str | None) -> None:
    caller: Caller = call() if number else call(None)
    languages = caller.dial()
    again = caller.press("8")  # six languages
    assert [said.text for said in again.says()][-7:] == [s.text for s in languages.says()][-7:]
    assert len(again.says()) == len(languages.says())  # a note instead of the welcome

    last_page = reach(caller, "2199")  # Food's third page has one place
    again = caller.press("5")
    note = "There is no number 5 here." if number else "That key does not work here."
    assert again.says()[0].text == note
    assert menu_lines(again) == menu_lines(last_page)


def test_a_few_words_at_the_menu_search(call) -> None:
    caller: Caller = call()
    caller.dial()
    caller.press("1")
    answer = caller.speak("je cherche à manger")
    assert answer.says()[0].text == "Alimentation"  # the food places, by what was said
    assert translated("Press %(key)s.", key="1") in answer.text()
    assert answer.gather.get("input") is None  # the list is chosen by key
