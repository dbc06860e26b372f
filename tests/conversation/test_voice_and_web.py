"""The same menu tree on a keypad (voice) and as links (web)."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from gateway.conversation import Action, Expect, LocaleSource, Verb, browse
from gateway.conversation import ReplyKind as K
from gateway.db import db
from gateway.directory.queries import find_area
from gateway.models import SearchQuery
from tests.conftest import translated
from tests.conversation.conftest import MONDAY_10H, Step, play

pytestmark = pytest.mark.backends("postgresql")

# Voice: keys 1-8 a page, 9 more, * repeat, 0 back / main menu, # send by SMS


def test_a_call_from_language_to_sms(city, phone) -> None:
    caller = phone("+447700900123", channel="voice")
    steps = play(
        caller,
        [
            Step(None, K.LANGUAGES, ["1. Français", "2. English", "6. Українська"]),
            Step(None, K.MENU, ["1. Food", "8. ", "9: More", "#: Language"], "en", press="2"),
            Step(None, K.MENU, ["1. Clothes", "8. Emergency", "0: Main menu"], press="9"),
            Step(None, K.MENU, ["1. Food", "0: Talk to someone"], press="0"),
            Step(None, K.RESULTS, ["1. Community restaurant", "5. "], press="1"),
            Step(None, K.SERVICE, ["Community restaurant", "#: Get this by"], press="1"),
            Step(None, K.SERVICE, ["Community restaurant"], press="*"),
            Step(None, K.HANDOFF, ["by text message"], press="#"),
            Step(None, K.RESULTS, ["5. "], press="9"),  # the list again, wrapped
            Step(None, K.MENU, [], press="0"),
            Step(None, K.TRANSFER, [], press="0"),
        ],
    )
    welcome, language, *_ = steps
    assert welcome.hints.new_session and welcome.expect is Expect.DIGITS
    assert welcome.hints.locale_source is LocaleSource.COUNTRY  # only a guess: asked
    assert [c.locale for c in welcome.choices] == ["fr", "en", "ar", "es", "pt", "uk"]
    assert language.hints.locale_source is LocaleSource.EXPLICIT
    assert language.prompt == "Press the number of a category."
    assert [(c.key, c.control, c.label, c.action) for c in language.controls] == [
        ("9", Verb.MORE, "More", Action(Verb.MENU, page=1)),
        ("#", Verb.LANGUAGES, "Language", Action(Verb.LANGUAGES)),
        ("0", Verb.HELPLINE, "Talk to someone", Action(Verb.HELPLINE)),
        ("*", Verb.REPEAT, "Repeat", Action(Verb.MENU)),
    ]
    assert all(choice.control is None for choice in language.choices)
    service, handoff = steps[5], steps[7]
    assert service.hints.can_send_sms and service.service is not None
    assert handoff.service.id == service.service.id
    transfer = steps[-1]
    assert transfer.hints.transfer_to == "+33261910000"
    assert transfer.expect is Expect.NOTHING


def test_hash_on_a_list_sends_nothing_even_after_a_place_was_seen(city, phone) -> None:
    caller = phone("+447700900123", channel="voice")
    caller.press("2")  # English
    caller.press("1")  # food
    assert caller.press("1").kind is K.SERVICE
    assert caller.press("0").kind is K.MENU
    assert caller.press("1").kind is K.RESULTS
    reply = caller.press("#")
    assert reply.kind is not K.HANDOFF
    assert translated("Choose a place first.", reply.locale) in reply.note


def test_a_known_caller_skips_the_language_menu_and_can_change_it(city, phone) -> None:
    caller = phone("+33612345678", channel="voice")
    caller.send("LANGUE AR", wait=timedelta(0))
    reply = caller.press("", wait=timedelta(hours=2))
    assert (reply.kind, reply.locale) == (K.MENU, "ar")
    assert caller.press("#").kind is K.LANGUAGES
    assert caller.press("3").locale == "ar"


def test_any_service_is_three_keys_away(city, phone) -> None:
    caller = phone("+33612345678", channel="voice")
    caller.press("1")  # French
    for category_key, count in (("1", 5), ("2", 1), ("3", 1)):
        caller.press("0")
        listed = caller.press(category_key)
        assert listed.kind is K.RESULTS and len(listed.choices) == count
        for choice in listed.choices:
            assert caller.press(choice.key).kind is K.SERVICE
            caller.press("*")
            caller.press("0")
            caller.press(category_key)


def test_voice_pages_of_eight_keys_restart_at_one(make_service, phone) -> None:
    for n in range(10):
        make_service(f"Repas {n:02}", hours=[(0, "09:00", "12:00")])
    caller = phone("+33612345678", channel="voice")
    caller.press("1")
    first = caller.press("1")
    assert [c.key for c in first.choices] == [str(k) for k in range(1, 9)]
    assert (first.hints.page, first.hints.pages, first.hints.total) == (1, 2, 10)
    second = caller.press("9")
    assert [(c.key, c.label) for c in second.choices] == [("1", "Repas 08"), ("2", "Repas 09")]
    assert caller.press("3").hints.invalid_input
    assert caller.press("2").title.text == "Repas 09"


@pytest.mark.parametrize("number", [None, "anonymous"])
def test_a_hidden_caller_walks_the_tree_by_actions(city, phone, number) -> None:
    """No number, no stored state: the adapter keeps each reply's key → action map."""
    caller = phone(number, channel="voice", locale_hint="fr")
    reply = caller.press("")
    assert reply.kind is K.MENU  # the channel's hint is enough not to ask the language

    def press(key: str):  # type: ignore[no-untyped-def]
        actions = {choice.key: choice.action for choice in (*reply.choices, *reply.controls)}
        return caller.send(action=actions[key])

    reply = press("1")
    assert reply.kind is K.RESULTS and reply.current == Action(Verb.CATEGORY, "food", 0)
    reply = press("2")
    assert reply.kind is K.SERVICE and not reply.hints.can_send_sms
    assert "#" not in [control.key for control in reply.controls]
    again = press("*")
    assert again.service.id == reply.service.id
    reply = press("0")
    assert reply.kind is K.MENU
    assert press("0").kind is K.TRANSFER


def test_an_opted_out_caller_is_told_why_no_sms(city, phone) -> None:
    phone().send("STOP")
    caller = phone(channel="voice")
    caller.press("1")
    caller.press("1")
    service = caller.press("1")
    assert service.kind is K.SERVICE and not service.hints.can_send_sms
    refused = caller.press("#")
    assert refused.kind is K.SERVICE and "START" in refused.note


def test_hash_without_a_service_asks_to_choose_one(city, phone) -> None:
    caller = phone(channel="voice")
    caller.press("1")
    caller.press("1")
    reply = caller.press("#")
    assert reply.kind is K.RESULTS and reply.note == translated("Choose a place first.")


# Web: stateless, each choice's action is a link


def test_web_follows_actions_without_state(city, phone) -> None:
    browser = phone(None, channel="web", locale_hint="en")
    menu = browser.send("")
    assert menu.kind is K.MENU and menu.locale == "en"
    food = browser.send(action=Action.parse(menu.choices[0].action.token))
    assert food.kind is K.RESULTS and len(food.choices) == 5  # twenty a page on the web
    service = browser.send(action=food.choices[0].action)
    assert service.kind is K.SERVICE and service.service.id == food.choices[0].action.arg
    assert [c.action for c in service.controls] == [Action(Verb.MENU)]
    spanish = browser.send(action=Action(Verb.LANGUAGE, "es"))
    assert (spanish.kind, spanish.locale) == (K.MENU, "es")


def test_web_search_pages_are_links_too(make_service, phone) -> None:
    for n in range(22):
        make_service(f"Repas {n:02}", hours=[(0, "09:00", "12:00")])
    browser = phone(None, channel="web", locale_hint="fr")
    first = browser.send("j'ai faim")
    assert len(first.choices) == 20 and first.controls[0].action.verb is Verb.SEARCH
    second = browser.send(action=first.controls[0].action)
    assert [c.key for c in second.choices] == ["21", "22"]


def test_browse_answers_a_link_for_nobody_near_the_area_picked_for_it(make_service) -> None:
    """The web's pages: a screen per link, no contact, no state, places in the area first."""
    town = make_service("Repas en ville", hours=[(0, "09:00", "12:00")])
    near = make_service(
        "Repas des Tilleuls", postcode="45130", district="Les Tilleuls", latitude=47.95
    )
    area = find_area(db.session, district="Les Tilleuls")
    food = Action(Verb.CATEGORY, "food")
    reply = browse(food, channel="web", locale="en", at=MONDAY_10H, area=area)
    assert (reply.kind, reply.locale, reply.hints.page) == (K.RESULTS, "en", 1)
    assert [c.service.id for c in reply.choices if c.service] == [near.id, town.id]
    assert [c.service.distance_km for c in reply.choices if c.service][0] == 0
    anywhere = browse(food, channel="web", locale="en", at=MONDAY_10H)
    assert [c.action.arg for c in anywhere.choices] == [town.id, near.id]  # open now first
    past_the_last = Action(Verb.CATEGORY, "food", page=3)
    assert browse(past_the_last, channel="web", locale="en", at=MONDAY_10H).hints.page == 1
    for page in (0, 1):
        browse(Action(Verb.SEARCH, "repas", page), channel="web", locale="fr", at=MONDAY_10H)
    asked = db.session.scalars(select(SearchQuery)).all()
    assert [(q.text, q.channel) for q in asked] == [("repas", "web")]  # its first page only


@pytest.mark.parametrize(
    "token",
    [
        "search::0",
        "search:<b></b>:0",
        "search:manger:999",
        "category:nope:0",
        "category:food:12345",
        "service:not-a-service:0",
        "language:xx:0",
        "send_sms::0",
        "send_sms:not-a-service:0",
        "more::0",
        "repeat::0",
        "menu::7",
        "helpline::0",
    ],
)
def test_web_survives_tampered_links(city, phone, token) -> None:
    reply = phone(None, channel="web").send(action=Action.parse(token))
    assert reply.title is not None and reply.title.text
