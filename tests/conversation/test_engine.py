"""The engine's rules one at a time: language, state, commands, odd input (by SMS)."""

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gateway.conversation import Action, LocaleSource, Verb, browse
from gateway.conversation import ReplyKind as K
from gateway.conversation.commands import WORDS, Command, command_word
from gateway.conversation.engine import KEPT_LISTING
from gateway.conversation.menus import menu_page_size
from gateway.conversation.profiles import profile_for
from gateway.db import db
from gateway.models import (
    CATEGORY_SLUGS,
    Closure,
    ClosureReason,
    Contact,
    ConversationState,
    Direction,
    Feedback,
    Message,
    MessageKind,
    MessageStatus,
    SearchQuery,
)
from tests.conftest import translated
from tests.conversation.conftest import Step, play, shown

pytestmark = pytest.mark.backends("postgresql")

# Language: explicit > remembered > detected > country code > French


@pytest.mark.parametrize(
    ("number", "remembered", "messages", "locale", "source"),
    [
        ("+34612345678", "en", ["LANG AR"], "ar", LocaleSource.EXPLICIT),
        ("+34612345678", "en", ["je cherche à manger"], "en", LocaleSource.REMEMBERED),
        ("+34612345678", None, ["I am hungry"], "en", LocaleSource.DETECTED),
        ("+33612345678", None, ["أريد أكل"], "ar", LocaleSource.DETECTED),
        ("+33612345678", None, ["HELP"], "en", LocaleSource.DETECTED),  # the word's language
        ("+34612345678", None, ["?"], "es", LocaleSource.COUNTRY),
        ("+380671234567", None, ["45100"], "uk", LocaleSource.COUNTRY),
        ("+212612345678", None, ["MENU"], "ar", LocaleSource.COUNTRY),
        ("+4915112345678", None, ["?"], "fr", LocaleSource.DEFAULT),
        ("+33612345678", None, ["?"], "fr", LocaleSource.DEFAULT),
        # a conversation keeps the language it started in...
        ("+33612345678", None, ["I am hungry", "tengo hambre"], "en", LocaleSource.DETECTED),
        # ...but a guess from the country gives way to the resident's own words
        ("+34612345678", None, ["?", "I am hungry"], "en", LocaleSource.DETECTED),
        # and an explicit choice outlasts the conversation
        ("+33612345678", None, ["LANGUE PT", "j'ai faim"], "pt", LocaleSource.EXPLICIT),
    ],
)
def test_language_order(city, phone, session, number, remembered, messages, locale, source):
    resident = phone(number)
    if remembered:
        resident.send("")
        resident.contact().locale = remembered
        resident.now += timedelta(hours=1)  # a new conversation: only the contact remembers
    for text in messages:
        reply = resident.send(text)
    assert (reply.locale, reply.hints.locale_source) == (locale, source)


NOT_UNDERSTOOD = "Sorry, I did not understand. Tell me in a few words what you need."
NO_NUMBER = "There is no number %(number)s here."
ALL_SHOWN = "That was all. Here is the start of the list again."
OPENS_TODAY = "Opens today at %(time)s"
NOT_IN_LIST = "There is no number %(number)s in your last list."
HOW_TO_REPORT = "To report a problem, send %(word)s, the number of the place, and what is wrong."


def test_an_explicit_choice_is_remembered_in_later_conversations(city, phone) -> None:
    resident = phone("+33612345678")
    resident.send("LANGUE UK")
    reply = resident.send("j'ai faim", wait=timedelta(days=3))
    assert (reply.locale, reply.hints.locale_source) == ("uk", LocaleSource.REMEMBERED)
    assert reply.hints.new_session


def test_the_locale_hint_of_a_channel_beats_a_guess(city, phone) -> None:
    reply = phone(None, channel="web", locale_hint="es").send("I am hungry")
    assert (reply.locale, reply.hints.locale_source) == ("es", LocaleSource.HINT)


def test_content_in_french_says_so(city, phone) -> None:
    resident = phone("+380671234567")
    reply = resident.send("де поїсти")
    assert reply.hints.is_fallback_language
    assert "французька" in reply.note  # "French", in Ukrainian
    english = phone("+447700900123")
    english.send("MENU")
    english.send("1")
    card = english.send("1")  # Restaurant solidaire, open now: it has an English name
    assert card.title.text == "Community restaurant" and card.title.locale == "en"
    summary = next(line for line in card.items if line.role == "summary")
    assert summary.locale == "fr"  # its summary is French only: the reply says so
    assert card.hints.is_fallback_language and "French" in card.note


def test_no_fallback_note_when_everything_is_in_the_language(make_service, phone) -> None:
    make_service("Repas", texts={"en": {"name": "Meals", "summary": "Hot meals."}})
    resident = phone("+447700900123")
    resident.send("MENU")
    reply = resident.send("1")
    assert reply.kind is K.RESULTS and not reply.hints.is_fallback_language
    assert resident.send("1").note == ""


# State: a list is remembered for a while, then a new conversation starts cleanly


def test_a_number_picks_from_the_list_until_it_expires(city, phone) -> None:
    resident = phone()
    play(
        resident,
        [
            Step("MENU", K.MENU),
            Step("1", K.RESULTS, ["1. Restaurant solidaire"]),
            Step("1", K.SERVICE, ["Restaurant solidaire"], wait=timedelta(minutes=29)),
            Step("2", K.MENU, ["Your last list has expired."], wait=timedelta(minutes=31)),
        ],
    )
    assert resident.replies[-1].hints.invalid_input
    assert resident.replies[-1].hints.new_session


def test_the_time_to_live_is_a_setting(app, city, phone, change_settings) -> None:
    change_settings(app, conversation_ttl_minutes=5)
    resident = phone()
    resident.send("MENU")
    assert resident.send("1", wait=timedelta(minutes=6)).kind is K.MENU


def test_state_expiry_is_stored_per_channel(city, phone, session) -> None:
    resident = phone()
    resident.send("MENU")
    phone(channel="voice").send("")
    contact = resident.contact()
    channels = session.scalars(
        select(ConversationState.channel).where(ConversationState.contact_id == contact.id)
    ).all()
    assert sorted(channels) == ["sms", "voice"]


def test_a_new_number_becomes_a_contact_known_only_by_hash(city, phone, session) -> None:
    resident = phone("+447700900123")
    reply = resident.send("I am hungry")
    assert reply.hints.new_session
    contact = resident.contact()
    assert (contact.country_code, contact.phone_number, contact.locale) == ("44", None, None)
    assert not resident.send("MORE").hints.new_session


@pytest.mark.parametrize("number", [None, "", "anonymous", "Restricted", "266696687", "+"])
def test_anonymous_and_hidden_numbers_get_answers_and_leave_nothing(
    city, phone, session, number
) -> None:
    resident = phone(number)
    assert resident.send("j'ai faim").kind is K.RESULTS
    assert resident.send("2").kind is K.MENU  # no state: nothing to pick from
    assert session.scalar(select(func.count(Contact.id))) == 0


# Odd input never raises


ODD = [
    None,
    "",
    "   ",
    "🍔🍔🍔",
    "😀" * 500,
    "\x00\x01\x07\x1b[31m",
    "<script>alert(1)</script>",
    "<b></b>",
    "?!?!",
    "a" * 2000,
    "manger " * 300,
    "' OR 1=1; --",
    "\u202e\u200b",
    "99",
    "AVIS 99999999999999999999",
    "LANGUE zz",
    "ZONE",
    "AVIS",
]


@pytest.mark.parametrize("channel", ["sms", "voice", "web"])
def test_odd_input_gets_a_helpful_reply(city, phone, channel) -> None:
    resident = phone(channel=channel)
    for text in ODD:
        reply = resident.send(text)
        assert reply.title is not None and reply.title.text, (text, reply)
        assert reply.choices or reply.controls or reply.prompt, (text, reply)
    for digits in ("", "*", "#", "0", "9", "123", "1*2", "٣"):
        assert resident.press(digits).title is not None


def test_unreadable_input_says_so_and_offers_the_menu(city, phone) -> None:
    reply = phone().send("🍔🍔🍔")
    assert reply.kind is K.MENU and reply.hints.invalid_input
    assert translated(NOT_UNDERSTOOD) in reply.note


# Commands


def test_menu_lists_the_sixteen_categories(city, phone) -> None:
    reply = phone("+447700900123").send("HELP")
    assert [c.key for c in reply.choices] == [str(n) for n in range(1, 17)]
    assert reply.choices[0].label == "Food" and reply.choices[15].label == "Emergency"
    assert reply.choices[0].action.token == "category:food:0"
    assert reply.prompt == "Send what you need in a few words, or reply 1-16, LANG"


@pytest.mark.parametrize(
    ("number", "locale"),
    [
        ("+33612345678", "fr"),
        ("+447700900123", "en"),
        ("+34612345678", "es"),
        ("+351912345678", "pt"),
        ("+212612345678", "ar"),
        ("+380671234567", "uk"),
    ],
)
def test_the_sms_menu_pages_by_what_a_text_holds_in_the_language(
    city, phone, number, locale
) -> None:
    """Sixteen categories on one screen in a language GSM-7 writes; eight a page, with
    "more", in Arabic and Ukrainian (UCS-2 holds 67 characters a segment, not 153)."""
    resident = phone(number)
    first = resident.send("MENU")
    assert first.locale == locale
    gsm7 = locale in ("fr", "en", "es", "pt")
    assert menu_page_size(profile_for("sms"), locale) == (16 if gsm7 else 8)
    assert menu_page_size(profile_for("voice"), locale) == 8
    assert menu_page_size(profile_for("web"), locale) == 16
    if gsm7:
        assert [c.key for c in first.choices] == [str(n) for n in range(1, 17)]
        assert (first.hints.pages, first.controls[0].control) == (1, Verb.LANGUAGES)
        return
    more = command_word(Command.MORE, locale)
    assert [c.key for c in first.choices] == [str(n) for n in range(1, 9)]
    assert (first.hints.page, first.hints.pages, first.hints.total) == (1, 2, 16)
    assert first.controls[0].key == more
    comma = "، " if locale == "ar" else ", "  # Arabic lists keys with its own comma
    language = command_word(Command.LANGUAGE, locale)
    assert first.prompt.endswith(comma.join(["1-8", more, language]))
    assert "12" in resident.send("12").note, "not shown yet: said so, the page again"
    second = resident.send(more)
    assert [c.key for c in second.choices] == [str(n) for n in range(9, 17)]
    assert [c.action.arg for c in first.choices + second.choices] == list(CATEGORY_SLUGS)
    assert resident.send("12").current == Action(Verb.CATEGORY, CATEGORY_SLUGS[11])
    resident.send("MENU")
    assert resident.send(more).choices[0].key == "9"
    assert resident.send(more).choices[0].key == "1", "after the last page, the first again"


def test_pages_of_three_numbered_on(city, phone) -> None:
    resident = phone()
    play(
        resident,
        [
            Step("MENU", K.MENU),
            Step("1", K.RESULTS, ["1. Restaurant solidaire", "2. Épicerie sociale"]),
            Step("4", K.RESULTS, [translated(NO_NUMBER, number=4)]),  # not shown yet
            Step("SUITE", K.RESULTS, ["4. Banque alimentaire", "5. Colis du jeudi"]),
            Step(
                "+",
                K.RESULTS,
                ["1. Restaurant solidaire", "That was all. Here is the start of the list again."],
            ),
            Step("9", K.RESULTS, [translated(NO_NUMBER, number=9)]),
            Step(
                "3", K.SERVICE, ["Soupe du soir", translated("Opens today at %(time)s", time="18")]
            ),
            Step("SUITE", K.RESULTS, ["4. Banque alimentaire"]),  # the list goes on
            Step("5", K.SERVICE, ["Colis du jeudi"]),
        ],
    )
    first = resident.replies[1]
    assert (first.hints.page, first.hints.pages, first.hints.total) == (1, 2, 5)
    assert first.prompt == translated("Reply %(keys)s", keys="1-3, SUITE, MENU")
    assert [c.key for c in first.controls] == ["SUITE", "MENU"]
    assert first.controls[0].action.token == "category:food:1"


def test_a_long_category_keeps_as_many_places_as_a_search_finds(make_service, phone) -> None:
    """A conversation keeps the first places of a category of thousands (written and read
    with every message), and goes round after the last as after a search's; the web, which
    keeps nothing, pages through all of them."""
    for n in range(KEPT_LISTING + 4):
        make_service(f"Repas {n:03}", hours=[(0, "09:00", "12:00")])
    resident = phone()
    resident.send("MENU")
    first = resident.send("1")
    assert first.kind is K.RESULTS and first.hints.total == KEPT_LISTING
    contact = resident.contact()
    [row] = db.session.scalars(
        select(ConversationState).where(ConversationState.contact_id == contact.id)
    )
    assert len(row.data["listing"]["ids"]) == KEPT_LISTING
    pages = -(-KEPT_LISTING // profile_for("sms").page_size)
    for _ in range(pages - 1):
        last = resident.send("SUITE")
    assert f"{KEPT_LISTING}. Repas {KEPT_LISTING - 1:03}" in shown(last)
    assert translated(ALL_SHOWN) in resident.send("SUITE").note
    web = browse(Action(Verb.CATEGORY, "food"), channel="web", locale="fr", at=resident.now)
    assert web.hints.total == KEPT_LISTING + 4


def test_a_number_at_the_start_explains_there_is_no_list(city, phone) -> None:
    reply = phone().send("2")
    assert reply.kind is K.MENU and translated("There is no list to choose from yet.") in reply.note


def test_search_is_recorded_and_no_result_is_honest(city, phone, session) -> None:
    resident = phone("+447700900123")
    assert resident.send("I am hungry").kind is K.RESULTS
    resident.send("MORE")  # paging is not a new question
    reply = resident.send("snorkelling lessons")
    assert reply.kind is K.NO_RESULT
    assert "No place found for: snorkelling lessons" in shown(reply)
    assert reply.hints.helpline == "+33261910000"
    assert "City helpline: +33261910000" in shown(reply)
    assert len(reply.choices) == 16  # the category menu, never a random list
    assert resident.send("2").kind is K.RESULTS  # a category from that menu
    rows = session.scalars(select(SearchQuery).order_by(SearchQuery.id)).all()
    assert [(r.channel, r.locale, r.no_result) for r in rows] == [
        ("sms", "en", False),
        ("sms", "en", True),
    ]


def test_an_empty_category_says_so_with_the_helpline(city, phone) -> None:
    resident = phone()
    resident.send("MENU")
    reply = resident.send("16")
    assert reply.kind is K.NO_RESULT and reply.hints.helpline


@pytest.mark.parametrize("text", ["45130", "ZONE 45130", "CP 45130", "AREA 45130", "zona 45130"])
def test_setting_an_area_puts_places_there_first(make_service, phone, text) -> None:
    make_service("Ici", postcode="45100", latitude=47.90, longitude=1.90)
    make_service("Là-bas", postcode="45130", latitude=47.95, longitude=1.80)
    resident = phone()
    resident.send("MENU")
    assert resident.send("1").choices[0].label == "Ici"  # same hours: by name
    reply = resident.send(text)
    assert reply.kind is K.AREA_SET and "45130" in reply.title.text and not reply.note
    resident.send("MENU")
    near = resident.send("1")
    assert [c.label for c in near.choices] == ["Là-bas", "Ici"]
    food = translated("Food", near.locale)
    assert near.title.text == translated(
        "%(topic)s near %(area)s", near.locale, topic=food, area="45130"
    )
    assert [d.text for d in near.choices[1].details if d.role == "distance"] in (
        ["9,3 km"],
        ["9.3 km"],
    )
    assert resident.contact().postcode == "45130"


def test_an_unknown_area_is_kept_and_said(city, phone) -> None:
    reply = phone().send("ZONE 99999")
    unknown = translated("No place is listed in %(postcode)s yet.", postcode="99999")
    assert reply.kind is K.AREA_SET and unknown in reply.note
    assert "ZONE 45100" in phone().send("ZONE").note


@pytest.mark.parametrize("word", WORDS[Command.OPT_OUT]["*"] + ("ARRÊT", "stop", "Stop."))
def test_opt_out_words(city, phone, word) -> None:
    resident = phone()
    resident.send("MENU")
    contact = resident.contact()
    contact.phone_number = "+33612345678"
    reply = resident.send(word)
    assert reply.kind is K.OPTED_OUT
    assert reply.hints.opted_out and reply.hints.end_of_conversation
    assert reply.expect == "nothing" and "START" in reply.title.text
    assert contact.opted_out_at is not None and contact.phone_number is None


@pytest.mark.parametrize("word", ["START", "UNSTOP", "YES", "start"])
def test_opt_in_words(city, phone, word) -> None:
    resident = phone()
    resident.send("STOP")
    assert resident.send("j'ai faim").hints.opted_out  # still answered, flagged for the channel
    reply = resident.send(word)
    assert reply.kind is K.OPTED_IN and not reply.hints.opted_out
    assert resident.contact().opted_out_at is None


@pytest.mark.parametrize(
    "word", ["OUBLI", "oublie-moi", "FORGET", "OLVIDAR", "ESQUECER", "ЗАБУДЬ", "انسني"]
)
def test_forget_deletes_everything_about_the_number(city, phone, session, word) -> None:
    resident = phone()
    resident.send("MENU")
    resident.send("1")
    resident.send("AVIS 1 fermé")
    contact = resident.contact()
    session.add(
        Message(
            direction=Direction.INBOUND,
            kind=MessageKind.MESSAGE,
            contact_id=contact.id,
            body=word,
            status=MessageStatus.RECEIVED,
        )
    )
    session.flush()
    reply = resident.send(word)
    assert reply.kind is K.FORGOTTEN
    assert reply.hints.forgotten and reply.hints.end_of_conversation
    assert resident.contact() is None
    assert session.scalar(select(func.count()).select_from(ConversationState)) == 0
    assert session.scalar(select(func.count()).select_from(Message)) == 0
    assert session.scalars(select(Feedback.contact_id)).all() == [None]
    again = resident.send("2")  # a stranger again: no list, a new contact
    assert again.kind is K.MENU and again.hints.new_session


def test_report_variants(city, phone, session) -> None:
    resident = phone()
    play(
        resident,
        [
            Step("AVIS 2 fermé", K.MENU, [translated(HOW_TO_REPORT, word="AVIS")]),
            Step("MENU", K.MENU),
            Step("1", K.RESULTS),
            Step("AVIS 7 fermé", K.RESULTS, [translated(NOT_IN_LIST, number=7)]),
            Step("AVIS 2 plus de colis le lundi", K.REPORTED, ["Épicerie sociale"]),
            Step("3", K.SERVICE, ["Soupe du soir"]),
            Step("AVIS c'est fermé", K.REPORTED, ["Soupe du soir"]),  # the place on screen
            Step("MENU", K.MENU),
            Step("avis d'imposition", K.NO_RESULT),  # a question, not a report
        ],
    )
    second_listed = resident.replies[2].choices[1].action.arg
    on_screen = resident.replies[5].service.id
    rows = session.scalars(select(Feedback).order_by(Feedback.id)).all()
    assert [(r.service_id, r.text, r.channel, r.locale) for r in rows] == [
        (second_listed, "plus de colis le lundi", "sms", "fr"),
        (on_screen, "c'est fermé", "sms", "fr"),
    ]
    assert {r.contact_id for r in rows} == {resident.contact().id}


def test_language_menu_and_unknown_languages(city, phone) -> None:
    resident = phone()
    reply = resident.send("LANGUE")
    assert reply.kind is K.LANGUAGES
    assert [(c.key, c.label, c.locale) for c in reply.choices][:3] == [
        ("1", "Français", "fr"),
        ("2", "English", "en"),
        ("3", "العربية", "ar"),
    ]
    assert resident.send("LANGUE klingon").kind is K.LANGUAGES
    menu = resident.send("6")
    assert (menu.kind, menu.locale, menu.hints.locale_source) == (K.MENU, "uk", "explicit")
    assert resident.contact().locale == "uk"


def test_conversation_package_knows_no_request_no_twilio_no_markup() -> None:
    package = Path(__file__).resolve().parents[2] / "gateway" / "conversation"
    for module in package.glob("*.py"):
        source = module.read_text("utf-8")
        for forbidden in ("flask import request", "twilio", "<Say", "<br", "<a "):
            assert forbidden not in source, (module.name, forbidden)


def test_a_closure_is_said_in_the_social_workers_words(city, phone, session) -> None:
    city["Restaurant solidaire"].closures = [
        Closure(
            starts_on=date(2026, 11, 30),
            ends_on=date(2027, 1, 3),
            reason=ClosureReason.WORKS,
            message={"fr": "Travaux de cuisine", "en": "Kitchen works"},
        )
    ]
    session.flush()
    resident = phone("+447700900123")
    resident.send("MENU")
    resident.send("1")
    resident.send("MORE")
    reply = resident.send("5")  # closed: last of the list
    assert reply.title.text == "Community restaurant"
    lines = {line.role: line for line in reply.items}
    assert lines["hours"].text == "Closed until January 3 (works)"
    assert (lines["closure"].text, lines["closure"].locale) == ("Kitchen works", "en")
