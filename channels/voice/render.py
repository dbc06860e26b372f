"""The engine's :class:`Reply` as TwiML: slow, in the caller's language, never a dead end.

:func:`spoken_parts` decides what is said, in which order and language; :func:`twiml` puts it
in a ``<Gather>`` that takes a key (or a few words at the main menu) and, when the caller says
nothing, a ``<Redirect>`` that counts the silence. Nothing here chooses a menu: choices and
navigation keys are the reply's, said with their keys; whether the helpline answers is the
reply's too (TRANSFER is a ``<Dial>``, HELPLINE_CLOSED says when it opens).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from twilio.twiml.voice_response import Gather, VoiceResponse

from channels.voice.prompts import Spoken, say, say_choice, say_control
from channels.voice.settings import VoiceSettings
from channels.voice.speech import add, spoken_number, with_spoken_numbers
from gateway.conversation import Choice, Expect, LineRole, Reply, ReplyKind, Verb
from gateway.messaging.outbox import Outcome


class Pause:
    """A breath between the items of a menu."""


PAUSE = Pause()
Part = Spoken | Pause

# A service is read as: name, then these, in this order.
SERVICE_ROLES = (LineRole.HOURS, LineRole.ADDRESS, LineRole.PHONE, LineRole.ACCESS)
_NUMBER_ROLES = frozenset({LineRole.PHONE, LineRole.HELPLINE})
# Engine texts that are the same on every reply of a kind, and so can be recorded.
_TITLE_PROMPTS = {
    ReplyKind.LANGUAGES: "choose-language",
    ReplyKind.MENU: "main-menu",
    ReplyKind.HELPLINE_CLOSED: "helpline-closed",
}
_PROMPT_PROMPTS = {
    ReplyKind.MENU: "press-category",
    ReplyKind.NO_RESULT: "press-category",
    ReplyKind.RESULTS: "press-place",
}
# Screens where a few spoken words make sense: what the caller needs, in her words.
SPEECH_KINDS = frozenset({ReplyKind.MENU, ReplyKind.NO_RESULT})
DIAL_TIMEOUT = 30  # seconds the helpline rings
# Why a "#" sent nothing, as the caller is told (anything else: "cannot send right now").
_HANDOFF_REFUSALS: dict[Outcome | None, str] = {
    Outcome.DUPLICATE: "handoff-already-sent",
    Outcome.SCOPE_FULL: "handoff-call-limit",
    Outcome.HOURLY_LIMIT: "handoff-hour-limit",
    Outcome.DAILY_CAP: "handoff-day-limit",
}


@dataclass(frozen=True)
class Turn:
    """What the adapter knows about this request that the reply does not say."""

    settings: VoiceSettings
    city: str
    action_url: str  # where the <Gather> posts the key
    silence_url: str  # where the call goes when nothing was pressed
    menu_url: str  # the main menu, after a transfer or a closed helpline
    greet: bool = False
    not_heard: bool = False
    unknown_key: bool = False
    handoff: Outcome | None = None  # HANDOFF: what became of the message


def spoken_parts(reply: Reply, turn: Turn) -> list[Part]:
    """Everything the caller hears for ``reply``, in order."""
    locale = reply.locale
    parts: list[Part] = []
    if turn.greet:
        parts += [say("welcome", locale, city=turn.city), PAUSE]
    if turn.not_heard:
        parts.append(say("not-heard", locale))
    if turn.unknown_key:
        parts.append(say("unknown-key", locale))
    if reply.note:
        parts.append(Spoken(reply.note, locale))
    if reply.kind is ReplyKind.HANDOFF:
        parts += _handoff(reply, turn)
    else:
        parts += _screen(reply, turn)
    for control in reply.controls:
        verb = control_verb(reply, control)
        if not (reply.kind is ReplyKind.HANDOFF and verb is Verb.SEND_SMS):
            parts.append(say_control(verb, control.key, locale))
    return parts


def control_verb(reply: Reply, control: Choice) -> Verb:
    """What a navigation key does, read from its action (a control carries no verb of its own).

    The one that shows the screen again is "repeat"; the main menu's first page is "main menu";
    any other page of the same list is "more".
    """
    action = control.action
    if action == reply.current:
        return Verb.REPEAT
    if action.verb in (Verb.MENU, Verb.CATEGORY, Verb.SEARCH):
        return Verb.MENU if action.verb is Verb.MENU and action.page == 0 else Verb.MORE
    return action.verb


def _screen(reply: Reply, turn: Turn) -> Iterator[Part]:
    if reply.title is not None:
        title = reply.title
        yield Spoken(title.text, title.locale, _TITLE_PROMPTS.get(reply.kind))
        yield PAUSE
    items = reply.items
    if reply.kind is ReplyKind.SERVICE:
        items = tuple(item for role in SERVICE_ROLES for item in reply.items if item.role is role)
    for item in items:
        text = item.text
        if item.role in _NUMBER_ROLES:
            text = with_spoken_numbers(text, turn.settings)
        yield Spoken(text, item.locale)
        yield PAUSE
    for choice in reply.choices:
        yield from _choice(choice, reply.locale)
        yield PAUSE
    if reply.prompt:
        yield Spoken(reply.prompt, reply.locale, _PROMPT_PROMPTS.get(reply.kind))


def _choice(choice: Choice, locale: str) -> Iterable[Part]:
    """A language in its own language, a category with its key, a place by name then key."""
    action = choice.action
    if action.verb is Verb.LANGUAGE:
        return [say_choice(choice.label, choice.key, choice.locale, f"language-{choice.key}")]
    if action.verb is Verb.CATEGORY:
        prompt = f"category-{action.arg}-{choice.key}"
        return [say_choice(choice.label, choice.key, locale, prompt)]
    if action.verb is Verb.SERVICE:
        hours = [Spoken(d.text, d.locale) for d in choice.details if d.role is LineRole.HOURS]
        key = say("place-key", locale, key=choice.key)
        return [Spoken(choice.label, choice.locale), *hours, Spoken(key.text, locale)]
    return [say_choice(choice.label, choice.key, locale, None)]


def _handoff(reply: Reply, turn: Turn) -> list[Part]:
    """Say what is being sent, and that it goes to this phone; or why nothing is sent."""
    if turn.handoff is not Outcome.QUEUED:
        prompt = _HANDOFF_REFUSALS.get(turn.handoff, "handoff-refused")
        return [say(prompt, reply.locale), PAUSE]
    parts: list[Part] = [Spoken(reply.prompt, reply.locale), say("handoff-content", reply.locale)]
    if reply.title is not None:
        parts.append(Spoken(reply.title.text, reply.title.locale))
    return [*parts, PAUSE]


def _append(parent: VoiceResponse | Gather, parts: Iterable[Part], settings: VoiceSettings) -> None:
    for part in parts:
        if isinstance(part, Pause):
            parent.pause(length=settings.pause)
        else:
            add(parent, part, settings)


def twiml(reply: Reply, turn: Turn) -> VoiceResponse:
    """The TwiML document for ``reply``."""
    if reply.kind is ReplyKind.TRANSFER:
        return _transfer(reply, turn)
    if reply.kind is ReplyKind.HELPLINE_CLOSED:
        return _helpline_closed(reply, turn)
    response = VoiceResponse()
    if reply.expect is Expect.NOTHING:
        _append(response, [*spoken_parts(reply, turn), say("goodbye", reply.locale)], turn.settings)
        response.hangup()
        return response
    voice = turn.settings.voice(reply.locale)
    speech = {}
    if reply.kind in SPEECH_KINDS and voice.speech:
        hints = ", ".join(choice.label for choice in reply.choices)
        speech = {"input": "dtmf speech", "language": voice.speech, "speech_timeout": "auto"}
        speech["hints"] = hints
    gather = response.gather(
        action=turn.action_url,
        method="POST",
        timeout=turn.settings.gather_timeout,
        num_digits=reply.hints.max_key_length,
        finish_on_key="",  # "#" is a key of the menu, not the end of a number
        **speech,
    )
    _append(gather, spoken_parts(reply, turn), turn.settings)
    response.redirect(turn.silence_url, method="POST")
    return response


def _transfer(reply: Reply, turn: Turn) -> VoiceResponse:
    """Put the caller through; when the helpline hangs up, back to the main menu."""
    settings = turn.settings
    response = VoiceResponse()
    if reply.title is not None:
        _append(response, [Spoken(reply.title.text, reply.title.locale)], settings)
    response.dial(reply.hints.transfer_to or settings.helpline, timeout=DIAL_TIMEOUT)
    _append(response, [say("helpline-ended", reply.locale)], settings)
    response.redirect(turn.menu_url, method="POST")
    return response


def _helpline_closed(reply: Reply, turn: Turn) -> VoiceResponse:
    """Closed, and when it opens; a text can be sent at any time; then the main menu.

    Of the reply's lines only when it opens is said: the caller is not dialling the number.
    """
    parts: list[Part] = []
    if reply.title is not None:
        parts.append(Spoken(reply.title.text, reply.title.locale, _TITLE_PROMPTS[reply.kind]))
    parts += [Spoken(line.text, line.locale) for line in reply.items if line.role is LineRole.HOURS]
    response = VoiceResponse()
    _append(response, [*parts, say("helpline-text", reply.locale), PAUSE], turn.settings)
    response.redirect(turn.menu_url, method="POST")
    return response


def goodbye(locale: str, settings: VoiceSettings) -> VoiceResponse:
    """After the last silence: the helpline's number, slowly, then a polite end."""
    response = VoiceResponse()
    number = spoken_number(settings.helpline, settings)
    _append(response, [say("goodbye-silent", locale, number=number)], settings)
    response.hangup()
    return response
