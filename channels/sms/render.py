"""The engine's :class:`Reply` as one SMS, and an SMS as TwiML.

One screen is one message of at most three segments: the note and the title, the lines of a
service (or the helpline), the numbered choices, then the engine's prompt ("Reply 1-3, SUITE,
MENU"). Text is folded to GSM-7 where the language allows (:mod:`channels.sms.encoding`).
A screen that does not fit loses detail before content, one step at a time: a list's places
drop their address, then their hours, then their names get shorter; a service drops its
languages, then the prompt's hint on reporting (the prompt becomes its keys), its summary,
its conditions, all closures but the nearest and the note that some text is in French, then
the nearest closure's words get shorter and go, so that name, hours (which already count
the closure in), address and phone stay. Only what still does not fit is cut, between items
or words, never inside a phone number or an address, and a list cut short says which
numbers it shows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from twilio.twiml.messaging_response import MessagingResponse

from channels.sms.encoding import SMS, Footer, Page, Sizing, SmsText, keep_together, pack
from gateway.conversation import Choice, Line, LineRole, Reply
from gateway.conversation.menus import keys_text

MAX_SEGMENTS = 3
# Roles of a choice's details, the last dropped first when a list does not fit.
_CHOICE_DETAILS = (LineRole.HOURS, LineRole.ADDRESS, LineRole.DISTANCE)
# The longest a choice's name may be, in characters, in the barest layouts (then "…").
_LABEL_LIMITS = (48, 32, 20)
# XML 1.0 refuses most control characters, and a phone shows none: they become spaces.
# (Newline is kept; carriage return and form feed are GSM characters no phone needs here.)
_UNSHOWABLE = re.compile("[\x00-\x09\x0b-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class _Screen:
    """What a reply shows besides its choices: a note above the title, and lines below it."""

    note: str
    lines: tuple[Line, ...]

    def without(self, role: LineRole) -> _Screen:
        return _Screen(self.note, tuple(line for line in self.lines if line.role is not role))

    def first_closure_only(self) -> _Screen:
        closures = [line for line in self.lines if line.role is LineRole.CLOSURE][1:]
        return _Screen(self.note, tuple(line for line in self.lines if line not in closures))

    def shortened(self, role: LineRole, limit: int) -> _Screen:
        return _Screen(
            self.note,
            tuple(
                replace(line, text=_shorten(line.text, limit)) if line.role is role else line
                for line in self.lines
            ),
        )


def _without_language_note(screen: _Screen, reply: Reply) -> _Screen:
    """Drop the note when all it says is that some content is in another language."""
    if reply.hints.is_fallback_language and not reply.hints.invalid_input:
        return _Screen("", screen.lines)
    return screen


# How a screen shrinks when it does not fit, one step after the other. Name, hours, address
# and phone stay: they say whether and where to go. (In a language written in UCS-2, a
# closure's words in French alone can take a segment; the phone would go before them.)
_STEPS: tuple[Callable[[_Screen, Reply], _Screen], ...] = (
    lambda screen, _reply: screen.without(LineRole.LANGUAGES),
    lambda screen, _reply: screen.without(LineRole.SUMMARY),
    lambda screen, _reply: screen.without(LineRole.ACCESS),
    lambda screen, _reply: screen.without(LineRole.DISTANCE),
    lambda screen, _reply: screen.first_closure_only(),
    _without_language_note,
    lambda screen, _reply: screen.shortened(LineRole.CLOSURE, 60),
    lambda screen, _reply: screen.without(LineRole.CLOSURE),
)


def showable(text: str) -> str:
    """``text`` without characters a phone would not show or TwiML could not carry."""
    return _UNSHOWABLE.sub(" ", text.replace("\r\n", "\n"))


def _line_text(line: Line) -> str:
    text = showable(line.text).strip()
    return keep_together(text) if line.role is LineRole.ADDRESS else text


def _shorten(text: str, limit: int | None) -> str:
    """``text`` cut to ``limit`` characters between words, with an ellipsis."""
    if limit is None or len(text) <= limit:
        return text
    head = text[: limit - 1]
    if " " in head:
        head = head.rsplit(" ", 1)[0]
    return head.rstrip(" ,.;:-–(") + "…"


def _choice_text(choice: Choice, roles: Sequence[LineRole], limit: int | None) -> str:
    label = f"{choice.key}. {_shorten(showable(choice.label).strip(), limit)}"
    details = [_line_text(line) for line in choice.details if line.role in roles]
    details = [detail for detail in details if detail]
    return "\n".join([label, ", ".join(details)]) if details else label


@dataclass(frozen=True)
class _Layout:
    """One way to lay a screen out: the note and title, its lines (a service's, the
    helpline), its numbered choices, and the prompt."""

    header: str
    lines: tuple[str, ...]
    choices: tuple[str, ...]
    prompt: str

    @property
    def items(self) -> list[str]:
        return [*self.lines, *self.choices]


def _layouts(reply: Reply) -> Iterator[_Layout]:
    """The ways to lay ``reply`` out, from the fullest to the barest, each once; made as
    they are asked for, since the first one fits most screens.

    The engine's prompt goes right after the languages line: what a place is matters more
    than how to report it. Then the prompt is only the keys ("Reply 1-3, SUITE, MENU").
    """
    screens = [_Screen(reply.note, tuple(line for line in reply.items if line.text.strip()))]
    for step in _STEPS:
        screens.append(step(screens[-1], reply))
    engine_prompt = showable(reply.prompt).strip()
    keys = _keys(reply, len(reply.choices)) if engine_prompt else ""
    plan = [(screens[0], engine_prompt), (screens[1], engine_prompt)]
    plan += [(screen, keys) for screen in screens[1:]]
    choice_forms: list[tuple[tuple[LineRole, ...], int | None]] = [
        (_CHOICE_DETAILS[:shown], None) for shown in range(len(_CHOICE_DETAILS), -1, -1)
    ]
    choice_forms += [((), limit) for limit in _LABEL_LIMITS]
    title = reply.title.text if reply.title is not None else ""
    seen: set[_Layout] = set()
    for screen, prompt in plan:
        header = [showable(part).strip() for part in (screen.note, title) if part.strip()]
        for roles, limit in choice_forms:
            layout = _Layout(
                "\n".join(header),
                tuple(_line_text(line) for line in screen.lines),
                tuple(_choice_text(choice, roles, limit) for choice in reply.choices),
                prompt,
            )
            if layout not in seen:
                seen.add(layout)
                yield layout


def _keys(reply: Reply, shown: int) -> str:
    """ "Reply 1-8, LANGUE": the keys of the first ``shown`` choices and of the controls."""
    with force_locale(reply.locale):
        return _("Reply %(keys)s", keys=keys_text(reply.choices[:shown], reply.controls))


def fit(reply: Reply, max_segments: int = MAX_SEGMENTS, sizing: Sizing[Any] = SMS) -> Page:
    """The page that shows ``reply`` in at most ``max_segments``: the first of its layouts
    that fits whole. If none does, the barest is cut, between items or words, and its prompt
    names only the choices shown (:attr:`Page.more` is then true).

    Layouts share most of their pieces (the title, a service's lines, the prompt): each
    distinct piece is encoded once for the reply, and the page carries the encoding and
    segments of the text it settled on."""
    sizing = sizing.once()
    for layout in _layouts(reply):
        page = _pack(layout.items, layout.header, layout.prompt, max_segments, sizing)
        if not page.more:
            return page
    barest = layout

    def cut_prompt(shown: int, _more: bool) -> str:
        if not barest.prompt:
            return ""
        return _keys(reply, min(max(shown - len(barest.lines), 0), len(reply.choices)))

    return _pack(barest.items, barest.header, cut_prompt, max_segments, sizing)


def _pack(
    items: list[str], header: str, footer: str | Footer, max_segments: int, sizing: Sizing[Any]
) -> Page:
    try:
        return pack(items, header, footer, max_segments, sizing)
    except ValueError:  # the note and the title alone are too long: they become items
        prompt = footer if isinstance(footer, str) else footer(0, True)
        return pack([*header.splitlines(), *items], "", prompt, max_segments, sizing)


def sms_text(reply: Reply, max_segments: int = MAX_SEGMENTS, sizing: Sizing[Any] = SMS) -> SmsText:
    """The SMS that shows ``reply``: its text as sent, encoding and segments (≤ max)."""
    return fit(reply, max_segments, sizing).sms


def plain_text(text: str, sizing: Sizing[Any] = SMS) -> SmsText:
    """A message the channel writes itself (the rate-limit notice), encoded the same way."""
    return sizing.encode(showable(text).strip())


def twiml(sms: SmsText | None, status_url: str | None = None) -> str:
    """The webhook's answer: one ``<Message>``, or an empty ``<Response/>`` to say nothing.

    ``status_url`` is where Twilio reports what became of the message (its ``action``).
    """
    response = MessagingResponse()
    if sms is not None and sms.text:
        response.message(sms.text, action=status_url)
    return str(response)
