"""Twilio's voice webhook in, the engine's reply out as TwiML (the :class:`Adapter` contract).

A caller with a number is a contact: the engine keeps her place in the menu between requests.
A hidden number has no contact, so her place travels in the URLs the TwiML gives Twilio: the
screen she hears (``screen``) and what each of its keys does (``k``), as the engine's action
tokens, the same links the web channel follows. Twilio signs those URLs with their query, so
the state cannot be forged. Every URL also carries the menu's language (``lang``) and, after a
silence, how many there were (``silence``): the third ends the call politely.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask import Request, Response, abort, url_for
from werkzeug.datastructures import MultiDict

from channels import twilio_fields
from channels.voice import render
from channels.voice.settings import voice_settings
from gateway import clock
from gateway.config import settings
from gateway.contacts import normalize_number
from gateway.conversation import Action, Inbound, Reply, Verb
from gateway.messaging.outbox import Outcome

CHANNEL = "voice"
MAX_SILENCES = 3  # the third silence in a row ends the call (after two re-prompts)
# What Twilio puts in ``From`` when the caller hides her number.
HIDDEN_CALLER_IDS = frozenset({"+266696687", "+7378742833", "+2562533", "+8656696"})
_KEY_SEPARATOR = "~"
# What a <Gather> can send: the keypad's keys, a few at a time (ours take one, a number a few).
_DIGITS = re.compile(r"[0-9*#]{1,32}")


def caller_number(raw: str | None) -> str | None:
    """The caller's E.164 number; None when hidden or not a phone number (a SIP client)."""
    if not raw or raw in HIDDEN_CALLER_IDS:
        return None
    try:
        return normalize_number(raw)
    except ValueError:
        return None


def _action(token: str | None) -> Action | None:
    if not token:
        return None
    try:
        return Action.parse(token)
    except ValueError:
        return None


@dataclass
class CallState:
    """What one webhook request says, from Twilio's form and from our own URL."""

    call_sid: str
    number: str | None
    digits: str | None
    speech: str | None
    locale: str | None
    silence: int
    then: Action | None  # run this (the main menu after a transfer)
    screen: Action | None  # hidden number: the screen she was hearing
    keys: dict[str, Action] = field(default_factory=dict)  # hidden number: its keys

    @property
    def new_call(self) -> bool:
        """Twilio's first request of a call comes to our bare URL, which carries no ``lang``."""
        return self.locale is None and not (self.digits or self.speech or self.then)

    @classmethod
    def read(cls, form: MultiDict[str, str], args: MultiDict[str, str]) -> CallState:
        """The request's state; 400 for a malformed CallSid, keys no keypad has, or a silence
        count our URLs never carry."""
        locales = settings().locales
        keys = {}
        for entry in args.getlist("k"):
            key, _, token = entry.partition(_KEY_SEPARATOR)
            action = _action(token)
            if key and action is not None:
                keys[key] = action
        digits = form.get("Digits", "").strip() or None
        if digits is not None and not _DIGITS.fullmatch(digits):
            abort(400)
        return cls(
            call_sid=twilio_fields.sid(form, "CallSid"),
            number=caller_number(form.get("From")),
            digits=digits,
            speech=form.get("SpeechResult", "").strip() or None,
            locale=args.get("lang") if args.get("lang") in locales else None,
            silence=twilio_fields.count(args.get("silence"), MAX_SILENCES) or 0,
            then=_action(args.get("do")),
            screen=_action(args.get("screen")),
            keys=keys,
        )


class VoiceAdapter:
    """One webhook request: :meth:`parse` it, :meth:`render` the engine's reply."""

    channel = CHANNEL

    def __init__(self) -> None:
        self.state: CallState | None = None
        self.inbound: Inbound | None = None
        self.unknown_key = False

    @property
    def call(self) -> CallState:
        assert self.state is not None, "parse() first"
        return self.state

    @property
    def gives_up(self) -> bool:
        """Silent too many times: say goodbye without asking the engine anything."""
        return self.call.silence >= MAX_SILENCES

    def parse(self, request: Request) -> Inbound:
        state = self.state = CallState.read(request.form, request.args)
        action, digits, text = state.then, None, None
        if action is None and state.digits:
            if state.number is not None:
                digits = state.digits
            elif state.digits in state.keys:
                action = state.keys[state.digits]
            else:
                self.unknown_key = True
                action = state.screen
        elif action is None and state.speech:
            text = state.speech
        elif action is None and state.silence and state.number is None:
            action = state.screen
        self.inbound = Inbound(
            channel=CHANNEL,
            contact=state.number,
            text=text,
            digits=digits,
            locale_hint=state.locale if state.number is None else None,
            received_at=clock.now(),
            action=action,
            new_session=state.new_call,
        )
        return self.inbound

    def render(self, reply: Reply, *, handoff: Outcome | None = None) -> Response:
        """``reply`` as TwiML; ``handoff`` says what became of a HANDOFF's message."""
        turn = render.Turn(
            settings=voice_settings(),
            city=settings().city_name,
            action_url=self._url(reply, silence=0),
            silence_url=self._url(reply, silence=self.call.silence + 1),
            menu_url=self._url(reply, silence=0, then=Action(Verb.MENU)),
            greet=self.call.new_call,
            not_heard=self.call.silence > 0,
            unknown_key=self.unknown_key,
            handoff=handoff,
        )
        return twiml_response(render.twiml(reply, turn))

    def goodbye(self) -> Response:
        """The end of a call that stayed silent: the helpline's number, then hang up."""
        locale = self.call.locale or settings().default_locale
        return twiml_response(render.goodbye(locale, voice_settings()))

    def _url(self, reply: Reply, *, silence: int, then: Action | None = None) -> str:
        params: dict[str, Any] = {"lang": reply.locale}
        if silence:
            params["silence"] = silence
        if then is not None:
            params["do"] = then.token
        if self.call.number is None:
            params["screen"] = (reply.current or Action(Verb.MENU)).token
            params["k"] = [
                f"{choice.key}{_KEY_SEPARATOR}{choice.action.token}"
                for choice in (*reply.choices, *reply.controls)
            ]
        return url_for("voice.inbound", **params)


def twiml_response(document: object) -> Response:
    return Response(str(document), mimetype="text/xml")
