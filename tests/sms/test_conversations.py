"""Whole conversations by SMS over the demo city, through the signed webhook."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from gateway.db import db
from gateway.models import ConversationState, Feedback, Message, MessageKind
from tests.conftest import translated
from tests.fakes import gsm0338
from tests.sms.conftest import MAX_SEGMENTS, Texter, in_sms, inbound_messages, replies, twilio_form

pytestmark = pytest.mark.backends("postgresql")

NUMBER = "+33612345678"
OPT_OUT_WORDS = [
    "STOP",
    "ARRET",
    "ARRÊT",
    "arrêt",
    "UNSUBSCRIBE",
    "END",
    "QUIT",
    "STOPALL",
    "REVOKE",
    "OPTOUT",
    "CANCEL",
    "Stop ",
    # with the channel's name, punctuation and politeness
    "STOP SMS",
    "stop svp",
    "Stop !",
    "stop, s'il vous plaît",
    "Stop por favor",  # Spanish or Portuguese: the French phone's language
    # French, and words Spanish and Portuguese share
    "désabonner",
    "Désabonnement",
    "ARRETEZ",
    "PARAR",
    "CANCELAR",
]
# Words of one language: a new contact is answered in it.
OPT_OUT_WORDS_IN = [
    ("STOP please", "en"),
    ("baja", "es"),
    ("Sair", "pt"),
    ("СТОП", "uk"),
    ("Відписатися", "uk"),
    ("стоп будь ласка", "uk"),
    ("توقف", "ar"),
    ("إيقاف", "ar"),
    ("الغاء", "ar"),
]
# A resident's questions that start like a stop, and are not one.
NOT_OPT_OUT = ["stop violence", "arrêt de bus", "Arrêt maladie", "stop 2"]


REPORT_HINT = "Reply %(keys)s. Wrong information? Send %(report)s %(number)s and what is wrong."


def places(text: str) -> list[tuple[str, str]]:
    """The numbered lines of an answer: [("1", "Repas du soir…"), …]."""
    return re.findall(r"^(\d+)\. (.+)$", text, flags=re.MULTILINE)


def fits(text: str | None) -> str:
    assert text is not None, "an answer was expected"
    encoding, _units, segments = gsm0338.segments(text)
    assert segments <= MAX_SEGMENTS, f"{segments} segments:\n{text}"
    return text


def test_where_to_eat_tonight_then_details_more_and_help(texter) -> None:
    resident: Texter = texter(NUMBER)
    listing = fits(resident.send("ou manger ce soir").text)
    shown = places(listing)
    assert [key for key, _name in shown] == ["1", "2", "3"], listing
    assert listing.splitlines()[-1] == translated("Reply %(keys)s", keys="1-3, SUITE, MENU")

    details = fits(resident.send("2").text)
    assert details.splitlines()[0] == shown[1][1], "the second place, on one screen"
    assert in_sms(translated("Tel. %(number)s", number="+33")) in details
    assert "Val-de-Lisle" in details
    assert details.endswith(in_sms(translated(REPORT_HINT, keys="MENU", report="AVIS", number=2)))

    more = fits(resident.send("SUITE").text)
    assert [key for key, _name in places(more)] == ["4", "5", "6"]
    assert translated("Reply %(keys)s", keys="4-6, SUITE, MENU") in more

    menu = fits(resident.send("AIDE").text)
    assert [key for key, _name in places(menu)] == [str(n) for n in range(1, 17)]
    assert "1. Alimentation" in menu and "LANGUE" in menu.splitlines()[-1]


@pytest.mark.parametrize(
    ("number", "help_word", "more"),
    [("+212612345678", "مساعدة", "المزيد"), ("+380671234567", "ДОПОМОГА", "ЩЕ")],
)
def test_in_arabic_and_ukrainian_the_menu_comes_in_two_screens_that_fit(
    texter, number: str, help_word: str, more: str
) -> None:
    """UCS-2 holds 67 characters a segment: eight categories a screen, then "more"."""
    comma = "، " if number.startswith("+212") else ", "  # Arabic lists keys with its own comma
    resident: Texter = texter(number)
    first, second = fits(resident.send(help_word).text), fits(resident.send(more).text)
    for screen, keys in ((first, range(1, 9)), (second, range(9, 17))):
        assert gsm0338.segments(screen)[0] == "UCS-2"
        assert [key for key, _name in places(screen)] == [str(n) for n in keys], screen
        assert f" {keys[0]}-{keys[-1]}{comma}" in screen.splitlines()[-1], "nothing cut"
    assert f"1-8{comma}{more}{comma}" in first.splitlines()[-1], "the first offers the second"
    assert len({name for _key, name in places(first) + places(second)}) == 16


def test_a_report_about_a_place_reaches_the_social_workers(texter) -> None:
    resident: Texter = texter(NUMBER)
    listing = resident.send("ou manger ce soir").text or ""
    name = places(listing)[1][1]
    thanks = fits(resident.send("AVIS 2 fermé le lundi").text)
    thanked = translated("Thank you. Our team will check your report about %(name)s.", name=name)
    assert thanks.startswith(in_sms(thanked))
    [feedback] = db.session.scalars(select(Feedback)).all()
    assert (feedback.text, feedback.channel) == ("fermé le lundi", "sms")
    assert feedback.contact_id == resident.contact().id
    assert name.split(" ")[0] in thanks


def test_language_switch_sticks(texter) -> None:
    resident: Texter = texter(NUMBER)
    assert fits(resident.send("LANGUE EN").text).startswith("I will answer in English.")
    menu = fits(resident.send("MENU").text)
    assert "1. Food" in menu and menu.splitlines()[-1].endswith("1-16, LANG")
    assert resident.contact().locale == "en"


@pytest.mark.parametrize(
    ("word", "locale"), [(word, "fr") for word in OPT_OUT_WORDS] + OPT_OUT_WORDS_IN
)
def test_each_opt_out_word_opts_out_with_one_short_confirmation(
    texter, word: str, locale: str
) -> None:
    resident: Texter = texter(NUMBER)
    answer = fits(resident.send(word).text)
    assert answer == fits(
        in_sms(
            translated(
                "You will get no more messages from us. Send %(word)s to get them again.",
                locale,
                word="START",
            )
        )
    )
    assert gsm0338.segments(answer)[2] == 1
    assert resident.contact().opted_out_at is not None


@pytest.mark.parametrize("word", ["START", "UNSTOP", "YES"])
def test_opting_back_in(texter, word: str) -> None:
    resident: Texter = texter(NUMBER)
    resident.send("STOP")
    answer = fits(resident.send(word).text)
    assert answer.startswith(fits(translated("You can get our messages again.")))
    assert resident.contact().opted_out_at is None


@pytest.mark.parametrize("question", NOT_OPT_OUT)
def test_a_question_starting_like_stop_is_answered_and_opts_nobody_out(
    texter, question: str
) -> None:
    resident: Texter = texter(NUMBER)
    answer = fits(resident.send(question).text)
    assert "START" not in answer
    assert resident.contact().opted_out_at is None


@pytest.mark.parametrize(
    ("number", "first", "stop", "locale"),
    [
        ("+380671234567", "де поїсти", "СТОП", "uk"),
        ("+212612345678", "أين آكل", "توقف من فضلك", "ar"),
        ("+34612345678", "", "Stop por favor", "es"),
        ("+351912345678", "", "PARAR", "pt"),
        # the contact chose English: her language, whatever the word's
        ("+33612345678", "LANGUE EN", "désabonner svp", "en"),
    ],
)
def test_stop_in_any_language_is_confirmed_in_the_contacts_language(
    texter, number: str, first: str, stop: str, locale: str
) -> None:
    resident: Texter = texter(number)
    if first:
        resident.send(first)
    answer = fits(resident.send(stop).text)
    confirmation = translated(
        "You will get no more messages from us. Send %(word)s to get them again.",
        locale,
        word="START",
    )
    assert answer == fits(in_sms(confirmation))
    assert replies()[-1].locale == locale
    assert resident.contact().opted_out_at is not None


def test_the_confirmation_is_in_the_contacts_language(texter) -> None:
    resident: Texter = texter("+380671234567")  # a Ukrainian phone: Ukrainian interface
    resident.send("де поїсти")
    resident.send("STOP")
    [*_, confirmation] = replies()
    assert confirmation.locale == "uk"


@pytest.mark.parametrize(
    ("body", "opt_out_type", "opted_out"),
    [("STOP", "STOP", True), ("START", "START", False), ("HELP", "HELP", False)],
)
def test_when_twilio_answered_the_keyword_we_say_nothing_but_record_it(
    texter, body: str, opt_out_type: str, opted_out: bool
) -> None:
    resident: Texter = texter(NUMBER)
    if body == "START":
        resident.send("STOP")
    before = len(replies())
    answer = resident.send(body, OptOutType=opt_out_type)
    assert answer.text is None and answer.xml.endswith("<Response />")
    assert len(replies()) == before, "no second confirmation"
    assert (resident.contact().opted_out_at is not None) is opted_out
    assert inbound_messages()[-1].body == body


def test_forget_deletes_at_once_and_confirms_without_keeping_a_link(texter) -> None:
    resident: Texter = texter(NUMBER)
    resident.send("ou manger ce soir")
    resident.send("AVIS 2 fermé")
    form = twilio_form(NUMBER, "OUBLI")
    answer = resident.deliver(form)
    deleted = translated("Everything we kept about your number has been deleted.")
    assert fits(answer.text) == fits(deleted)

    assert resident.contact() is None
    assert db.session.scalars(select(ConversationState)).all() == []
    assert db.session.scalars(select(Feedback.contact_id)).all() == [None]
    messages = db.session.scalars(select(Message)).all()
    assert all(message.contact_id is None for message in messages)
    [record, confirmation] = messages
    assert (record.provider_sid, record.body, record.kind) == (
        form["MessageSid"],
        None,
        MessageKind.MESSAGE,
    )
    assert confirmation.in_reply_to_id == record.id and confirmation.body == answer.text

    # Twilio retries the webhook: the same confirmation, and nobody is created again.
    assert resident.deliver(form).text == answer.text
    assert resident.contact() is None and len(db.session.scalars(select(Message)).all()) == 2


def test_a_new_message_after_forget_starts_afresh(texter) -> None:
    resident: Texter = texter(NUMBER)
    resident.send("LANGUE EN")
    resident.send("FORGET")
    menu = fits(resident.send("").text)
    assert "1. Alimentation" in menu, "the language was forgotten too"
