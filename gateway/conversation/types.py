"""What goes into the conversation engine and what comes out, for every channel.

An adapter turns its request into an :class:`Inbound` and renders the :class:`Reply`; neither
type knows about HTTP, Twilio or markup. A reply says what it is (``kind``), what to show or
read (``title``, ``items``, ``choices``, ``controls``), what to ask (``prompt``, ``expect``)
and, in ``hints``, the facts a channel needs to render it its own way. Every text carries the
locale it is written in, so that a voice can read a French service name in French inside an
Arabic menu.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from gateway.directory.queries import Area, ServiceCard


class Verb(enum.StrEnum):
    """What picking a choice does; also what a web link asks for."""

    MENU = "menu"  # the category menu (the main menu)
    LANGUAGES = "languages"  # the language menu
    LANGUAGE = "language"  # arg: a locale code
    CATEGORY = "category"  # arg: a category slug
    SEARCH = "search"  # arg: the resident's words
    SERVICE = "service"  # arg: a service id
    MORE = "more"  # the next page of what is shown
    REPEAT = "repeat"  # say it again (from the stored state; ``Reply.current`` without one)
    SEND_SMS = "send_sms"  # arg: a service id; send its details to the caller by SMS
    HELPLINE = "helpline"  # put the caller through to the city's helpline


@dataclass(frozen=True)
class Action:
    """A step in the menu tree, self-contained so that a stateless channel (web) can link it.

    ``token`` is its string form ("category:food:1"); :meth:`parse` reads it back.
    """

    verb: Verb
    arg: str = ""
    page: int = 0  # 0-based page of a list

    @property
    def token(self) -> str:
        return f"{self.verb.value}:{self.arg}:{self.page}"

    @classmethod
    def parse(cls, token: str) -> Action:
        """The action of a token; ``ValueError`` when it is not one."""
        verb, _, rest = token.partition(":")
        arg, _, page = rest.rpartition(":") if rest.count(":") else (rest, "", "0")
        number = int(page or 0)
        if number < 0:
            raise ValueError(f"negative page in {token!r}")
        return cls(Verb(verb), arg, number)


class Expect(enum.StrEnum):
    """What the channel should wait for after this reply."""

    TEXT = "text"  # free text (SMS, web search box, voice speech)
    DIGITS = "digits"  # keypad presses (voice)
    NOTHING = "nothing"  # the conversation is over (forgotten, opted out, transferred)


class ReplyKind(enum.StrEnum):
    LANGUAGES = "languages"  # choose a language (voice welcome, "LANGUE" alone)
    MENU = "menu"  # the categories; also the help and the welcome
    RESULTS = "results"  # a page of services (a search or a category)
    SERVICE = "service"  # one service's details
    NO_RESULT = "no_result"  # nothing matched: said honestly, with the menu and the helpline
    LANGUAGE_SET = "language_set"
    AREA_SET = "area_set"
    REPORTED = "reported"  # a report about a service was recorded
    OPTED_OUT = "opted_out"
    OPTED_IN = "opted_in"
    FORGOTTEN = "forgotten"  # the contact and everything about them was deleted
    # Voice: this service's details go by SMS; the channel queues them with
    # ``gateway.messaging.handoff.send_details`` and says what became of them.
    HANDOFF = "handoff"
    # A person answers the helpline now: a keypad puts the caller through to
    # ``hints.transfer_to``; a text channel shows the number and its hours.
    TRANSFER = "transfer"
    # Nobody answers the helpline now: when it next opens (``hints.opens_at``), its number.
    HELPLINE_CLOSED = "helpline_closed"


class LineRole(enum.StrEnum):
    """What a line says, so a channel can shorten, reorder or read it its own way."""

    TEXT = "text"
    SUMMARY = "summary"
    HOURS = "hours"
    CLOSURE = "closure"  # the social workers' own words about a closure
    ADDRESS = "address"
    DISTANCE = "distance"
    PHONE = "phone"  # a voice reads the number digit by digit
    ACCESS = "access"
    LANGUAGES = "languages"
    HELPLINE = "helpline"


class LocaleSource(enum.StrEnum):
    """Why the reply is in its language, strongest first."""

    EXPLICIT = "explicit"  # asked for in this conversation (LANGUE EN, a language key)
    REMEMBERED = "remembered"  # the contact's saved choice
    HINT = "hint"  # the channel's guess (web cookie or browser)
    DETECTED = "detected"  # the language of the resident's first words
    COUNTRY = "country"  # the phone's country calling code
    DEFAULT = "default"


LOCALE_SOURCE_RANK = {source: rank for rank, source in enumerate(reversed(LocaleSource))}


@dataclass(frozen=True)
class Line:
    """One line of text, in ``locale`` (content may be French while the menu is not)."""

    text: str
    locale: str
    role: LineRole = LineRole.TEXT


@dataclass(frozen=True)
class Choice:
    """Something to pick: type or press ``key``, see or hear ``label``, get ``action``.

    For services, ``details`` are short lines (hours, street, distance) to show beside it,
    and ``service`` the whole card, for channels that show more than ``details`` (web).
    A control says what it does for navigation in ``control`` (MORE, REPEAT, MENU, SEND_SMS,
    LANGUAGES, HELPLINE), since its self-contained action may be a plain screen (the next
    page is ``category:food:1``; repeat is ``Reply.current``).
    """

    key: str
    label: str
    locale: str
    action: Action
    details: tuple[Line, ...] = ()
    control: Verb | None = None
    service: ServiceCard | None = None


@dataclass(frozen=True)
class Hints:
    """Facts a channel renders its own way; none of them is needed to show the reply."""

    locale_source: LocaleSource = LocaleSource.DEFAULT
    new_session: bool = False  # first message, or the previous one expired: greet
    page: int = 1  # 1-based page of ``choices`` among ``pages``
    pages: int = 1
    total: int = 0  # items in the whole list, all pages
    can_send_sms: bool = False  # voice: ``#`` would send this service by SMS
    is_fallback_language: bool = False  # some content is in another language (see ``note``)
    invalid_input: bool = False  # the message was not understood or not a valid choice
    end_of_conversation: bool = False
    opted_out: bool = False  # the contact refuses messages other than direct replies
    forgotten: bool = False  # the contact is deleted: link nothing new to them
    helpline: str | None = None  # offered to the resident in this reply
    transfer_to: str | None = None  # TRANSFER: the number to dial
    opens_at: datetime | None = None  # HELPLINE_CLOSED: when it next opens (None: not soon)
    max_key_length: int = 1  # the longest key among choices and controls (keypad input)


@dataclass(frozen=True)
class Inbound:
    """One message or key press from a resident, as the channel received it.

    ``contact`` is the sender's number (E.164), or None when anonymous (web, hidden caller ID).
    ``action`` is set by stateless channels following a choice's link instead of sending text.
    ``received_at`` must be timezone-aware. ``new_session`` is the channel's word that a new
    conversation begins here whatever was stored (a new phone call), not a resumed one.
    ``area`` is one the resident picked for this request alone (the web's "near" filter):
    places in it come first, as after ZONE.
    """

    channel: str
    contact: str | None
    text: str | None
    digits: str | None
    locale_hint: str | None
    received_at: datetime
    action: Action | None = None
    new_session: bool = False
    area: Area | None = None


@dataclass(frozen=True)
class Reply:
    """The engine's answer: intent and content, no markup.

    ``choices`` are the numbered picks on this page; ``controls`` the navigation around them
    (more, repeat, main menu, send by SMS, language), each with the key of this channel
    (a command word for text channels, a keypad key for voice). ``service`` carries the whole
    card when one service is shown, for channels that show more than ``items`` (web).

    Every action in a reply is self-contained, and ``current`` is the one that shows this
    screen again (None for a one-off confirmation): a channel that keeps no state (the web,
    a caller with a hidden number) maps keys to actions itself and sends the action back.
    """

    kind: ReplyKind
    locale: str
    title: Line | None = None
    items: tuple[Line, ...] = ()
    choices: tuple[Choice, ...] = ()
    controls: tuple[Choice, ...] = ()
    prompt: str = ""
    expect: Expect = Expect.TEXT
    service: ServiceCard | None = None
    note: str = ""
    current: Action | None = None
    hints: Hints = field(default_factory=Hints)
