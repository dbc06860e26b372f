"""What a resident's message asks for: a command word, a number, or words to search.

The words are data (``WORDS``, ``LANGUAGE_WORDS``), per language, so adding a usual word is
one line and every language's words work whatever language the conversation is in (a
resident may answer "STOP" in the middle of Arabic). Matching goes through the search's
folding (case, accents, Arabic letter variants and digits), so "arrêt", "ARRET" and "Arret"
are one word, and "٢" is 2.

Stopping, starting and forgetting are also understood with politeness around them ("stop
svp", "STOP SMS", "Stop por favor", "désabonnez-moi s'il vous plaît"): the keyword and only
``FILLER_WORDS``, nothing else. One word that is not filler ("stop violence", "arrêt de bus")
and the message is what it says, a search: consent is never read into a question.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass

from gateway.conversation.types import Action
from gateway.search.normalize import fold


class Command(enum.StrEnum):
    EMPTY = "empty"  # nothing was said (a new call, a timeout, a blank SMS)
    UNREADABLE = "unreadable"  # only symbols, emoji or markup
    MENU = "menu"
    MORE = "more"
    REPEAT = "repeat"
    SEND_SMS = "send_sms"
    LANGUAGE = "language"  # arg: a locale code, or "" for the language menu
    AREA = "area"  # arg: a postcode, or "" when none was given
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    FORGET = "forget"
    REPORT = "report"  # number: the place in the last list (optional); arg: what is wrong
    PICK = "pick"  # number: a choice's key
    SEARCH = "search"  # arg: the resident's words
    ACTION = "action"  # action: a choice's action, followed by link (web) or resolved pick


@dataclass(frozen=True)
class Parsed:
    command: Command
    arg: str = ""
    number: int | None = None
    action: Action | None = None
    locale: str | None = None  # the language of the command word, when only one has it
    text: str = ""  # the whole message, cleaned (a report that turns out to be a search)


# Whole-message commands. The first word of each language is the one prompts show; "*" holds
# words and symbols that mean the same in every language. Opt-out and opt-in words under "*"
# are the carriers' (Twilio's own keywords, whatever the language); each language adds its
# usual ones.
WORDS: dict[Command, dict[str, tuple[str, ...]]] = {
    Command.MENU: {
        "fr": ("MENU", "AIDE", "ACCUEIL"),
        "en": ("MENU", "HELP", "INFO"),
        "ar": ("قائمة", "مساعدة", "القائمة"),
        "es": ("MENU", "AYUDA"),
        "pt": ("MENU", "AJUDA"),
        "uk": ("МЕНЮ", "ДОПОМОГА"),
        "*": ("?", "0"),
    },
    Command.MORE: {
        "fr": ("SUITE", "PLUS"),
        "en": ("MORE", "NEXT"),
        "ar": ("المزيد", "التالي"),
        "es": ("MAS", "SIGUIENTE"),
        "pt": ("MAIS", "PROXIMO"),
        "uk": ("ЩЕ", "ДАЛІ"),
        "*": ("+",),
    },
    Command.REPEAT: {
        "fr": ("REPETER",),
        "en": ("REPEAT",),
        "ar": ("كرر",),
        "es": ("REPETIR",),
        "pt": ("REPETIR",),
        "uk": ("ПОВТОР",),
        "*": ("*",),
    },
    Command.OPT_OUT: {
        "*": (
            "STOP",
            "ARRET",
            "UNSUBSCRIBE",
            "END",
            "QUIT",
            "STOPALL",
            "STOP ALL",
            "REVOKE",
            "OPTOUT",
            "OPT-OUT",
            "CANCEL",
            "ARRETE",
            "ARRETT",
        ),
        "fr": (
            "ARRETEZ",
            "DESABONNER",
            "DESABONNEZ",
            "DESABONNEMENT",
            "DESINSCRIRE",
            "DESINSCRIPTION",
        ),
        "en": ("STOP MESSAGES",),
        "ar": ("توقف", "أوقف", "إيقاف", "إلغاء", "إلغاء الاشتراك"),
        "es": ("PARAR", "BAJA", "DAR DE BAJA", "CANCELAR", "DETENER"),
        "pt": ("PARAR", "SAIR", "CANCELAR", "DESCADASTRAR"),
        "uk": ("СТОП", "ВІДПИСАТИСЯ", "ВІДПИСАТИСЬ", "ВІДПИШІТЬ", "ВІДПИСКА", "ОТПИСАТЬСЯ"),
    },
    Command.OPT_IN: {"*": ("START", "UNSTOP", "YES")},
    Command.FORGET: {
        "fr": ("OUBLI", "OUBLIE", "OUBLIER", "OUBLIE-MOI", "OUBLIEZ-MOI"),
        "en": ("FORGET", "FORGET ME"),
        "ar": ("انسني", "انساني"),
        "es": ("OLVIDAR", "OLVIDAME"),
        "pt": ("ESQUECER", "ESQUECE-ME"),
        "uk": ("ЗАБУДЬ", "ЗАБУДЬ МЕНЕ"),
    },
}

# Words that may surround a consent command without changing it (see the module's docstring):
# politeness, the channel's name, "me" and "all". None of them is a thing one searches for.
FILLER_WORDS: dict[str, tuple[str, ...]] = {
    "*": ("SMS", "MSG", "MSGS"),
    "fr": (
        "SVP",
        "STP",
        "S'IL VOUS PLAIT",
        "S'IL TE PLAIT",
        "SIL VOUS PLAIT",
        "MERCI",
        "MESSAGES",
        "MESSAGE",
        "TEXTOS",
        "MOI",
        "ME",
        "TOUT",
        "LES",
        "DES",
        "JE",
        "VEUX",
        "VOUDRAIS",
    ),
    "en": ("PLEASE", "PLS", "PLZ", "THANKS", "THANK YOU", "ME", "ALL", "MESSAGES", "TEXTS"),
    "ar": ("من فضلك", "لو سمحت", "رجاء", "شكرا", "الرسائل", "رسائل"),
    "es": ("POR FAVOR", "PORFAVOR", "PORFA", "GRACIAS", "MENSAJES", "ME", "TODO", "LOS"),
    "pt": ("POR FAVOR", "OBRIGADO", "OBRIGADA", "MENSAGENS", "TUDO"),
    "uk": ("БУДЬ ЛАСКА", "ПОЖАЛУЙСТА", "ДЯКУЮ", "СПАСИБО", "СМС", "ПОВІДОМЛЕННЯ", "МЕНЕ"),
}
# The commands that may come with filler: a resident's consent, however politely worded.
CONSENT = (Command.OPT_OUT, Command.OPT_IN, Command.FORGET)

# First words of commands that take an argument: "LANGUE EN", "ZONE 45130", "AVIS 2 fermé".
LEADING_WORDS: dict[Command, dict[str, tuple[str, ...]]] = {
    Command.LANGUAGE: {
        "fr": ("LANGUE",),
        "en": ("LANG", "LANGUAGE"),
        "ar": ("لغة", "اللغة"),
        "es": ("IDIOMA", "LENGUA"),
        "pt": ("IDIOMA", "LINGUA"),
        "uk": ("МОВА",),
    },
    Command.AREA: {
        "fr": ("ZONE", "CP", "QUARTIER"),
        "en": ("AREA", "ZIP", "POSTCODE"),
        "ar": ("منطقة", "المنطقة"),
        "es": ("ZONA", "CP"),
        "pt": ("ZONA", "CEP"),
        "uk": ("РАЙОН", "ІНДЕКС"),
    },
    Command.REPORT: {
        "fr": ("AVIS", "SIGNALER"),
        "en": ("REPORT",),
        "ar": ("بلاغ", "ابلاغ"),
        "es": ("AVISO", "REPORTAR"),
        "pt": ("AVISO", "REPORTAR"),
        "uk": ("СКАРГА", "ВІДГУК"),
    },
}

# Ways to name a language. The first is its own name, which alone (no "LANGUE") switches to it.
LANGUAGE_WORDS: dict[str, tuple[str, ...]] = {
    "fr": ("français", "fr", "francais", "french", "francés", "francês", "французька"),
    "en": ("English", "en", "anglais", "inglés", "inglês", "англійська", "الإنجليزية"),
    "ar": ("العربية", "ar", "عربي", "arabe", "arabic", "árabe", "арабська"),
    "es": ("español", "es", "espagnol", "spanish", "espanhol", "іспанська", "الإسبانية"),
    "pt": ("português", "pt", "portugais", "portuguese", "portugués", "португальська"),
    "uk": ("Українська", "uk", "ukrainien", "ukrainian", "ucraniano", "الأوكرانية"),
}

# Keypad keys (voice); the engine gives "0" and "#" their meaning at the main menu.
KEYPAD: dict[str, Command] = {
    "*": Command.REPEAT,
    "#": Command.SEND_SMS,
    "0": Command.MENU,
    "9": Command.MORE,
}

MAX_TEXT = 300  # more is not a question; the search reads the start
_TAG = re.compile(r"<[^<>]{0,200}>")
_PICK = re.compile(r"\d{1,2}")
_POSTCODE = re.compile(r"\d{5}")
_TRAILING = " .!,;:¡¿"
_TOKEN = re.compile(r"\w+")
_MAX_CONSENT_WORDS = 8  # "je veux me désabonner des sms s'il vous plaît"; longer is a question


def _index(
    table: dict[Command, dict[str, tuple[str, ...]]],
) -> dict[str, tuple[Command, str | None]]:
    """Folded word → its command, and its language when only one language uses it."""
    locales: dict[str, set[str]] = {}
    commands: dict[str, Command] = {}
    for command, by_locale in table.items():
        for locale, words in by_locale.items():
            for word in words:
                commands[fold(word)] = command
                if locale != "*":
                    locales.setdefault(fold(word), set()).add(locale)
    return {
        word: (command, min(locales[word]) if len(locales.get(word, ())) == 1 else None)
        for word, command in commands.items()
    }


_PHRASES = _index(WORDS)
_LEADING = _index(LEADING_WORDS)


def _consent_index() -> dict[tuple[str, ...], tuple[Command | None, frozenset[str]]]:
    """Words of consent commands and filler (None), as folded tokens → and their languages."""
    index: dict[tuple[str, ...], tuple[Command | None, frozenset[str]]] = {}
    tables = [(command, WORDS[command]) for command in CONSENT] + [(None, FILLER_WORDS)]
    for command, by_locale in tables:
        for locale, words in by_locale.items():
            for word in words:
                key = tuple(_TOKEN.findall(fold(word)))
                known, locales = index.get(key, (command, frozenset()))
                index[key] = (known, locales | ({locale} if locale != "*" else set()))
    return index


_CONSENT_WORDS = _consent_index()
_LONGEST_CONSENT = max(len(key) for key in _CONSENT_WORDS)
_LANGUAGE_NAMES = {fold(word): code for code, words in LANGUAGE_WORDS.items() for word in words}
_OWN_NAMES = {fold(words[0]): code for code, words in LANGUAGE_WORDS.items()}


def command_word(command: Command, locale: str) -> str:
    """The word prompts show for ``command`` in ``locale`` ("SUITE", "MORE", "المزيد").

    Opting out and in, it is the carriers' word (STOP, START) in every language: the one
    the operator answers too, and the one residents see on every other service.
    """
    by_locale = {**WORDS, **LEADING_WORDS}[command]
    if command in (Command.OPT_OUT, Command.OPT_IN):
        return by_locale["*"][0]
    return (by_locale.get(locale) or by_locale["*"])[0]


def clean(text: str) -> str:
    """The message as words: no markup, no control characters, one space, not too long."""
    without_tags = _TAG.sub(" ", text)
    printable = "".join(
        " " if unicodedata.category(char).startswith("C") else char for char in without_tags
    )
    collapsed = " ".join(printable.split())
    if len(collapsed) <= MAX_TEXT:
        return collapsed
    return collapsed[:MAX_TEXT].rsplit(" ", 1)[0]


def parse_digits(digits: str) -> Parsed:
    """Key presses: the keys that always mean the same, else the number of a choice."""
    keys = digits.strip()
    if keys in KEYPAD:
        return Parsed(KEYPAD[keys])
    if keys.isdigit():
        return Parsed(Command.PICK, number=int(keys))
    return Parsed(Command.UNREADABLE)


def parse_text(text: str) -> Parsed:
    """A text message: a command in any language, a number, a postcode, or a search.

    A command word followed by words that are not its argument ("zone industrielle",
    "langue des signes") is a search, not a command.
    """
    words = clean(text)
    if not words:
        return Parsed(Command.EMPTY if not text.strip() else Command.UNREADABLE)
    folded = fold(words)
    bare = folded.strip(_TRAILING) or folded
    if bare in _PHRASES:
        command, locale = _PHRASES[bare]
        return Parsed(command, locale=locale, text=words)
    consent = _consent(folded)
    if consent is not None:
        command, locale = consent
        return Parsed(command, locale=locale, text=words)
    if bare in _OWN_NAMES:
        return Parsed(Command.LANGUAGE, arg=_OWN_NAMES[bare], text=words)
    if _PICK.fullmatch(bare):
        return Parsed(Command.PICK, number=int(bare), text=words)
    if _POSTCODE.fullmatch(bare):
        return Parsed(Command.AREA, arg=bare, text=words)
    first, _, rest = bare.partition(" ")
    rest = rest.strip(_TRAILING)
    leading, locale = _LEADING.get(first, (None, None))
    if leading is Command.LANGUAGE and " " not in rest:
        return Parsed(
            Command.LANGUAGE, arg=_LANGUAGE_NAMES.get(rest, ""), locale=locale, text=words
        )
    if leading is Command.AREA and (not rest or _POSTCODE.fullmatch(rest)):
        return Parsed(Command.AREA, arg=rest, locale=locale, text=words)
    if leading is Command.REPORT:
        return _report(words, locale)
    if not any(char.isalnum() for char in folded):
        return Parsed(Command.UNREADABLE)
    return Parsed(Command.SEARCH, arg=words, text=words)


def _consent(folded: str) -> tuple[Command, str | None] | None:
    """A consent command and only filler around it, with the one language its words share
    (None when several or none); None when any word is something else."""
    tokens = _TOKEN.findall(folded)
    if len(tokens) > _MAX_CONSENT_WORDS:
        return None
    commands: set[Command] = set()
    shared: frozenset[str] | None = None
    start = 0
    while start < len(tokens):
        # The longest phrase first: "forget me" is a command before "me" is filler.
        for size in range(min(_LONGEST_CONSENT, len(tokens) - start), 0, -1):
            entry = _CONSENT_WORDS.get(tuple(tokens[start : start + size]))
            if entry is not None:
                break
        else:
            return None
        command, locales = entry
        if command is not None:
            commands.add(command)
        if locales:
            shared = locales if shared is None else shared & locales
        start += size
    if len(commands) != 1:
        return None
    return commands.pop(), min(shared) if shared is not None and len(shared) == 1 else None


def _report(words: str, locale: str | None) -> Parsed:
    """ "AVIS 2 fermé depuis lundi": the place's number (if any) and the resident's words."""
    _keyword, _, rest = words.partition(" ")
    number_text, _, comment = rest.partition(" ")
    number = fold(number_text).strip(_TRAILING)
    if _PICK.fullmatch(number):
        return Parsed(Command.REPORT, comment.strip(), int(number), locale=locale, text=words)
    return Parsed(Command.REPORT, rest.strip(), locale=locale, text=words)
