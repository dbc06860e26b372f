"""Reading a message: every command word in every language, numbers, postcodes, searches."""

import pytest

from gateway.conversation.commands import (
    FILLER_WORDS,
    LANGUAGE_WORDS,
    LEADING_WORDS,
    MAX_TEXT,
    WORDS,
    Command,
    Parsed,
    clean,
    command_word,
    parse_digits,
    parse_text,
)
from gateway.conversation.types import Action, Verb


@pytest.mark.parametrize(
    ("command", "locale", "word"),
    [
        (command, locale, word)
        for command, by_locale in WORDS.items()
        for locale, words in by_locale.items()
        for word in words
    ],
)
def test_every_word_of_every_language_is_its_command(command, locale, word) -> None:
    for typed in (word, word.lower(), f"  {word}. "):
        assert parse_text(typed).command is command, typed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # menu / help
        ("aide", Parsed(Command.MENU, locale="fr", text="aide")),
        ("Help!", Parsed(Command.MENU, locale="en", text="Help!")),
        ("?", Parsed(Command.MENU, text="?")),
        ("0", Parsed(Command.MENU, text="0")),
        ("مساعده", Parsed(Command.MENU, locale="ar", text="مساعده")),  # taa marbuta typed as haa
        ("допомога", Parsed(Command.MENU, locale="uk", text="допомога")),
        ("MENU", Parsed(Command.MENU, text="MENU")),  # four languages say MENU: no language
        # next page
        ("suite", Parsed(Command.MORE, locale="fr", text="suite")),
        ("+", Parsed(Command.MORE, text="+")),
        ("más", Parsed(Command.MORE, locale="es", text="más")),
        # numbers: Western or Arabic-Indic digits
        ("2", Parsed(Command.PICK, number=2, text="2")),
        ("٢", Parsed(Command.PICK, number=2, text="٢")),
        ("12.", Parsed(Command.PICK, number=12, text="12.")),
        ("115", Parsed(Command.SEARCH, arg="115", text="115")),  # the shelter line, not a pick
        # area
        ("45130", Parsed(Command.AREA, arg="45130", text="45130")),
        ("ZONE 45130", Parsed(Command.AREA, arg="45130", locale="fr", text="ZONE 45130")),
        ("cp 45130", Parsed(Command.AREA, arg="45130", text="cp 45130")),
        ("zone", Parsed(Command.AREA, locale="fr", text="zone")),
        ("zone industrielle",
         Parsed(Command.SEARCH, arg="zone industrielle", text="zone industrielle")),
        # language
        ("LANGUE EN", Parsed(Command.LANGUAGE, arg="en", locale="fr", text="LANGUE EN")),
        ("lang ar", Parsed(Command.LANGUAGE, arg="ar", locale="en", text="lang ar")),
        ("langue anglais", Parsed(Command.LANGUAGE, arg="en", locale="fr", text="langue anglais")),
        ("English", Parsed(Command.LANGUAGE, arg="en", text="English")),
        ("العربية", Parsed(Command.LANGUAGE, arg="ar", text="العربية")),
        ("Українська", Parsed(Command.LANGUAGE, arg="uk", text="Українська")),
        ("espanol", Parsed(Command.LANGUAGE, arg="es", text="espanol")),
        ("Português", Parsed(Command.LANGUAGE, arg="pt", text="Português")),
        ("francais", Parsed(Command.LANGUAGE, arg="fr", text="francais")),
        ("langue", Parsed(Command.LANGUAGE, locale="fr", text="langue")),
        ("LANG DE", Parsed(Command.LANGUAGE, locale="en", text="LANG DE")),
        ("langue des signes",
         Parsed(Command.SEARCH, arg="langue des signes", text="langue des signes")),
        # opt out / in: the keyword, with nothing but politeness around it
        ("ARRÊT", Parsed(Command.OPT_OUT, text="ARRÊT")),
        ("Stop", Parsed(Command.OPT_OUT, text="Stop")),
        ("STOP SMS", Parsed(Command.OPT_OUT, text="STOP SMS")),
        ("stop svp", Parsed(Command.OPT_OUT, locale="fr", text="stop svp")),
        ("Stop, merci.", Parsed(Command.OPT_OUT, locale="fr", text="Stop, merci.")),
        ("désabonner", Parsed(Command.OPT_OUT, locale="fr", text="désabonner")),
        ("Désabonnez-moi s'il vous plaît",
         Parsed(Command.OPT_OUT, locale="fr", text="Désabonnez-moi s'il vous plaît")),
        ("je veux me désinscrire des SMS",
         Parsed(Command.OPT_OUT, locale="fr", text="je veux me désinscrire des SMS")),
        ("Stop please", Parsed(Command.OPT_OUT, locale="en", text="Stop please")),
        ("СТОП", Parsed(Command.OPT_OUT, locale="uk", text="СТОП")),
        ("відписатися, будь ласка",
         Parsed(Command.OPT_OUT, locale="uk", text="відписатися, будь ласка")),
        ("стоп пожалуйста", Parsed(Command.OPT_OUT, locale="uk", text="стоп пожалуйста")),
        ("توقف", Parsed(Command.OPT_OUT, locale="ar", text="توقف")),
        ("الغاء الاشتراك من فضلك",
         Parsed(Command.OPT_OUT, locale="ar", text="الغاء الاشتراك من فضلك")),
        ("PARAR", Parsed(Command.OPT_OUT, text="PARAR")),  # Spanish and Portuguese alike
        ("Stop por favor", Parsed(Command.OPT_OUT, text="Stop por favor")),
        ("dar de baja, gracias",
         Parsed(Command.OPT_OUT, locale="es", text="dar de baja, gracias")),
        ("sair obrigada", Parsed(Command.OPT_OUT, locale="pt", text="sair obrigada")),
        ("stop manger", Parsed(Command.SEARCH, arg="stop manger", text="stop manger")),
        ("stop violence", Parsed(Command.SEARCH, arg="stop violence", text="stop violence")),
        ("arrêt de bus", Parsed(Command.SEARCH, arg="arrêt de bus", text="arrêt de bus")),
        ("Arrêt maladie", Parsed(Command.SEARCH, arg="Arrêt maladie", text="Arrêt maladie")),
        ("baja médica", Parsed(Command.SEARCH, arg="baja médica", text="baja médica")),
        ("stop 2", Parsed(Command.SEARCH, arg="stop 2", text="stop 2")),
        ("STOP START", Parsed(Command.SEARCH, arg="STOP START", text="STOP START")),
        ("merci", Parsed(Command.SEARCH, arg="merci", text="merci")),
        ("unstop", Parsed(Command.OPT_IN, text="unstop")),
        ("start please", Parsed(Command.OPT_IN, locale="en", text="start please")),
        # forget
        ("oublie-moi", Parsed(Command.FORGET, locale="fr", text="oublie-moi")),
        ("забудь мене", Parsed(Command.FORGET, locale="uk", text="забудь мене")),
        ("انسني", Parsed(Command.FORGET, locale="ar", text="انسني")),
        ("oubliez-moi svp", Parsed(Command.FORGET, locale="fr", text="oubliez-moi svp")),
        # report
        ("AVIS 2 fermé", Parsed(Command.REPORT, "fermé", 2, locale="fr", text="AVIS 2 fermé")),
        ("report 3 shut down",
         Parsed(Command.REPORT, "shut down", 3, locale="en", text="report 3 shut down")),
        ("avis", Parsed(Command.REPORT, locale="fr", text="avis")),
        ("avis d'imposition",
         Parsed(Command.REPORT, "d'imposition", locale="fr", text="avis d'imposition")),
        ("بلاغ ٢ مغلق", Parsed(Command.REPORT, "مغلق", 2, locale="ar", text="بلاغ ٢ مغلق")),
        # search
        ("j'ai faim", Parsed(Command.SEARCH, arg="j'ai faim", text="j'ai faim")),
        ("أريد أكل", Parsed(Command.SEARCH, arg="أريد أكل", text="أريد أكل")),
    ],
)  # fmt: skip
def test_parse_text(text: str, expected: Parsed) -> None:
    assert parse_text(text) == expected


@pytest.mark.parametrize(
    ("locale", "filler"),
    [(locale, word) for locale, words in FILLER_WORDS.items() for word in words],
)
def test_every_filler_word_leaves_stop_a_stop_and_is_no_command_alone(locale, filler) -> None:
    for typed in (f"STOP {filler}", f"{filler.lower()}, stop!"):
        assert parse_text(typed).command is Command.OPT_OUT, typed
    assert parse_text(filler).command is Command.SEARCH
    assert parse_text(f"stop {filler} violence").command is Command.SEARCH


def test_a_long_sentence_with_stop_in_it_is_a_question() -> None:
    sentence = "stop " + "s'il vous plaît " * 3
    assert parse_text(sentence).command is Command.SEARCH


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("", Command.EMPTY),
        ("   \n ", Command.EMPTY),
        ("🍔🍔🍔", Command.UNREADABLE),
        ("\x00\x07\x1b", Command.UNREADABLE),
        ("<b></b>", Command.UNREADABLE),
        ("?!?!", Command.UNREADABLE),
        ("<script>alert(1)</script>", Command.SEARCH),
        ("💩 manger", Command.SEARCH),
        ("manger " * 400, Command.SEARCH),
    ],
)
def test_absurd_input_is_recognised_as_such(text: str, command: Command) -> None:
    assert parse_text(text).command is command


def test_clean_strips_markup_and_control_characters_and_bounds_length() -> None:
    assert clean("<p>où\x00 manger\u200b</p>\n ce soir") == "où manger ce soir"
    long = clean("mot " * 1000)
    assert len(long) <= MAX_TEXT and long.endswith("mot")


@pytest.mark.parametrize(
    ("digits", "expected"),
    [
        ("1", Parsed(Command.PICK, number=1)),
        ("12", Parsed(Command.PICK, number=12)),
        ("9", Parsed(Command.MORE)),
        ("*", Parsed(Command.REPEAT)),
        ("0", Parsed(Command.MENU)),
        ("#", Parsed(Command.SEND_SMS)),
        ("1*2", Parsed(Command.UNREADABLE)),
    ],
)
def test_parse_digits(digits: str, expected: Parsed) -> None:
    assert parse_digits(digits) == expected


@pytest.mark.parametrize("code", sorted(LANGUAGE_WORDS))
def test_every_language_has_every_word_prompts_show(code: str) -> None:
    for table in (WORDS, LEADING_WORDS):
        for command in table:
            assert command_word(command, code)
    assert command_word(Command.MORE, "fr") == "SUITE"
    assert command_word(Command.OPT_OUT, code) == "STOP"


@pytest.mark.parametrize(
    "token",
    ["menu::0", "category:food:1", "search:où manger: ce soir:2", "service:abc-123:0"],
)
def test_action_tokens_read_back(token: str) -> None:
    assert Action.parse(token).token == token


def test_action_tokens_reject_nonsense() -> None:
    for token in ("nope:x:0", "menu::-1", "category:food:x"):
        with pytest.raises(ValueError):
            Action.parse(token)
    assert Action.parse("menu") == Action(Verb.MENU)
