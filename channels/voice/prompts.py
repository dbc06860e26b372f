"""What the voice menu says in its own words, and the recordings that may say it instead.

Everything a caller hears is a :class:`Spoken`: a text in a locale, and maybe the id of a
prompt. When ``gateway/content/voice/<locale>/<prompt id>.mp3`` (or ``.wav``) exists, the
recording is played instead of text-to-speech: that is how a language no synthetic voice speaks
is served, and how a social worker's own voice can replace a robot's.
``gateway/content/voice/README.md`` lists the ids. An id names what is said *with* its key
("more-9", "category-food-3"), so a recording can never announce a key that has changed: it is
simply no longer found.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from gateway.conversation import Verb

AUDIO_EXTENSIONS = (".mp3", ".wav")


@dataclass(frozen=True)
class Spoken:
    """One thing to say, in ``locale``; ``prompt`` is the id of a recording that may replace it."""

    text: str
    locale: str
    prompt: str | None = None


# The channel's own sentences, by prompt id. Values are filled in with ``%`` after translation.
# "choice" and "place-key" are patterns: their recordings are per key ("category-food-1").
PROMPTS: dict[str, LazyString] = {
    "welcome": _l("Welcome to the %(city)s social services line."),
    "not-heard": _l("I did not hear anything."),
    "unknown-key": _l("That key does not work here."),
    "goodbye-silent": _l(
        "We will stop here. If you need help, call the city helpline on %(number)s. Goodbye."
    ),
    "goodbye": _l("Goodbye."),
    "choice": _l("%(label)s: press %(key)s."),
    "place-key": _l("Press %(key)s."),
    "handoff-content": _l("The message gives the hours, the address and the phone number of:"),
    "handoff-refused": _l("Sorry, we cannot send a text message right now."),
    "handoff-already-sent": _l("We have already sent you these details during this call."),
    "handoff-call-limit": _l(
        "We cannot send more text messages during this call. You can listen to the details again."
    ),
    "handoff-hour-limit": _l(
        "This phone has had many text messages from us this hour. Please try again later."
    ),
    "handoff-day-limit": _l(
        "Sorry, we cannot send more text messages today. You can listen to the details again."
    ),
    "helpline-text": _l(
        "You can also send us your question by text message, at any time, to the number you called."
    ),
    "helpline-ended": _l("The call with the helpline has ended."),
}

# What each navigation key does, said with its key.
CONTROLS: dict[Verb, LazyString] = {
    Verb.MORE: _l("For more, press %(key)s."),
    Verb.REPEAT: _l("To hear this again, press %(key)s."),
    Verb.MENU: _l("For the main menu, press %(key)s."),
    Verb.LANGUAGES: _l("To change the language, press %(key)s."),
    Verb.SEND_SMS: _l("To get these details by text message, press %(key)s."),
    Verb.HELPLINE: _l("To talk to someone, press %(key)s."),
}

_KEY_NAMES: dict[str, LazyString] = {"*": _l("star"), "#": _l("hash")}
_KEY_IDS = {"*": "star", "#": "hash"}


def key_name(key: str) -> str:
    """How a key is said in the current locale: digits as they are, "star", "hash"."""
    return "".join(str(_KEY_NAMES[char]) if char in _KEY_NAMES else char for char in key)


def key_id(key: str) -> str:
    """A key in a prompt id (file names have no ``*`` or ``#``)."""
    return "".join(_KEY_IDS.get(char, char) for char in key)


def say(prompt: str, locale: str, **values: str) -> Spoken:
    """The channel's sentence ``prompt`` in ``locale``, its placeholders filled."""
    with force_locale(locale):
        return Spoken(str(PROMPTS[prompt]) % values, locale, prompt)


def say_control(verb: Verb, key: str, locale: str) -> Spoken:
    with force_locale(locale):
        text = str(CONTROLS[verb]) % {"key": key_name(key)}
    return Spoken(text, locale, f"{verb.value.replace('_', '-')}-{key_id(key)}")


def say_choice(label: str, key: str, locale: str, prompt: str | None) -> Spoken:
    """ "Food: press 1." in ``locale`` (a language menu says each line in its own language)."""
    with force_locale(locale):
        text = str(PROMPTS["choice"]) % {"label": label, "key": key_name(key)}
    return Spoken(text, locale, prompt)


def recording(prompts_dir: Path, spoken: Spoken) -> Path | None:
    """The recorded file for ``spoken``'s prompt in its locale, if a social worker added one."""
    if spoken.prompt is None:
        return None
    for extension in AUDIO_EXTENSIONS:
        path = prompts_dir / spoken.locale / f"{spoken.prompt}{extension}"
        if path.is_file():
            return path
    return None
