"""The menu tree's screens: each builds one :class:`Reply` and records what it showed.

A screen sets the conversation's level and page as it shows them, so that the next number,
"more" or "repeat" reads from exactly what the resident has in front of her. Texts are in the
current (forced) locale; service content comes in the best locale the directory has, and a
reply says when some of it is not in the resident's language.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache, cached_property

from babel.lists import format_list
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy.orm import Session

from gateway.conversation.commands import Command, command_word
from gateway.conversation.profiles import KEYPAD_KEYS, Profile
from gateway.conversation.state import Conversation, Level, Listing
from gateway.conversation.types import (
    Action,
    Choice,
    Expect,
    Hints,
    Inbound,
    Line,
    LineRole,
    LocaleSource,
    Reply,
    ReplyKind,
    Verb,
)
from gateway.directory import describe
from gateway.directory.categories import category_name
from gateway.directory.queries import (
    Area,
    DirectorySnapshot,
    ServiceCard,
    directory_snapshot,
    find_area,
    service_card,
)
from gateway.helpline import helpline_hours, helpline_status
from gateway.i18n import LANGUAGE_NAMES, ORIGINAL_LOCALE, Localized, joined
from gateway.messaging.gsm import fold, is_gsm
from gateway.models import CATEGORY_SLUGS, Contact

_CONTROL_LABELS: dict[Verb, LazyString] = {
    Verb.MORE: _l("More"),
    Verb.MENU: _l("Main menu"),
    Verb.LANGUAGES: _l("Language"),
    Verb.REPEAT: _l("Repeat"),
    Verb.SEND_SMS: _l("Get this by text message"),
    Verb.HELPLINE: _l("Talk to someone"),
}
# The word that does the same on text channels; controls without one exist only on a keypad.
_CONTROL_WORDS: dict[Verb, Command] = {
    Verb.MORE: Command.MORE,
    Verb.MENU: Command.MENU,
    Verb.LANGUAGES: Command.LANGUAGE,
}


@dataclass
class Turn:
    """One message being answered: who, where in the conversation, in which language."""

    session: Session
    inbound: Inbound
    profile: Profile
    contact: Contact | None
    conversation: Conversation
    locale: str
    locale_source: LocaleSource
    at: datetime
    timezone: str
    helpline: str
    locales: tuple[str, ...]

    @cached_property
    def directory(self) -> DirectorySnapshot:
        """The listed directory, read once per message and only by those that show places."""
        return directory_snapshot(self.session)

    @cached_property
    def area(self) -> Area | None:
        """The area places near come first: the one this request picked (web), else the one
        the resident set (ZONE)."""
        if self.inbound.area is not None:
            return self.inbound.area
        if self.contact is None or not self.contact.postcode:
            return None
        return find_area(self.session, postcode=self.contact.postcode)


# Building blocks


def _key(turn: Turn, index: int, page: int, page_size: int) -> str:
    """The key of the ``index``-th choice on ``page``: running on (SMS) or per page (keypad)."""
    return str(index + 1 + (page * page_size if turn.profile.continuous else 0))


def _control(turn: Turn, verb: Verb, action: Action) -> Choice | None:
    if turn.profile.keypad:
        key = KEYPAD_KEYS[verb]
    elif verb in _CONTROL_WORDS:
        key = command_word(_CONTROL_WORDS[verb], turn.locale)
    else:
        return None
    return Choice(key, str(_CONTROL_LABELS[verb]), turn.locale, action, control=verb)


def _controls(turn: Turn, *wanted: tuple[Verb, Action] | None) -> tuple[Choice, ...]:
    found = (_control(turn, verb, action) for verb, action in filter(None, wanted))
    return tuple(control for control in found if control is not None)


def keys_text(choices: Sequence[Choice], controls: Sequence[Choice]) -> str:
    """ "1-3, SUITE, MENU": what a text reply can be answered with (the SMS renderer calls it
    too, for the choices that fit on the screen)."""
    parts = []
    if choices:
        first, last = choices[0].key, choices[-1].key
        parts.append(first if first == last else f"{first}-{last}")
    parts.extend(control.key for control in controls)
    return joined(parts)


def _fallback_note(turn: Turn, texts: Iterable[Localized]) -> str:
    """ "Some details are only in French." when content is not in the resident's language."""
    others = sorted({text.locale for text in texts if text.text and text.locale != turn.locale})
    if not others:
        return ""
    names = format_list([describe.language_name(code) for code in others], locale=get_locale())
    return _("Some details are only available in %(language)s.", language=names)


def _reply(
    turn: Turn,
    kind: ReplyKind,
    *,
    title: Line | None = None,
    items: Sequence[Line] = (),
    choices: Sequence[Choice] = (),
    controls: Sequence[Choice] = (),
    prompt: str = "",
    service: ServiceCard | None = None,
    current: Action | None = None,
    notes: Sequence[str] = (),
    content: Iterable[Localized] = (),
    page: int = 0,
    pages: int = 1,
    total: int = 0,
    invalid: bool = False,
    end: bool = False,
    can_send_sms: bool = False,
    helpline: str | None = None,
    transfer_to: str | None = None,
    opens_at: datetime | None = None,
) -> Reply:
    """A reply with the hints every screen shares worked out in one place."""
    fallback = _fallback_note(turn, content)
    contact = turn.contact
    keys = [choice.key for choice in (*choices, *controls)]
    expect = Expect.NOTHING if end else Expect.DIGITS if turn.profile.keypad else Expect.TEXT
    return Reply(
        kind=kind,
        locale=turn.locale,
        title=title,
        items=tuple(items),
        choices=tuple(choices),
        controls=tuple(controls),
        prompt=prompt,
        expect=expect,
        service=service,
        note=" ".join(note for note in (*notes, fallback) if note),
        current=current,
        hints=Hints(
            locale_source=turn.locale_source,
            new_session=turn.conversation.is_new,
            page=page + 1,
            pages=pages,
            total=total,
            can_send_sms=can_send_sms,
            is_fallback_language=bool(fallback),
            invalid_input=invalid,
            end_of_conversation=end,
            opted_out=contact is not None and contact.opted_out_at is not None,
            helpline=helpline,
            transfer_to=transfer_to,
            opens_at=opens_at,
            max_key_length=max((len(key) for key in keys), default=1),
        ),
    )


def _line(turn: Turn, text: str, role: LineRole = LineRole.TEXT) -> Line:
    return Line(text, turn.locale, role)


def _content(text: Localized, role: LineRole) -> Line:
    return Line(text.text, text.locale, role)


def _what_next(turn: Turn, *controls: Choice) -> str:
    """The prompt after a notice: say what you need, or the menu."""
    if turn.profile.keypad:
        return ""
    return _(
        "Send what you need in a few words, or reply %(keys)s",
        keys=keys_text((), controls),
    )


# Screens


def languages_reply(turn: Turn, *, note: str = "", invalid: bool = False) -> Reply:
    """Each language by its own name, for a voice to announce in that language."""
    turn.conversation.level = Level.LANGUAGES
    choices = [
        Choice(str(i + 1), LANGUAGE_NAMES[code], code, Action(Verb.LANGUAGE, code))
        for i, code in enumerate(turn.locales)
    ]
    current = Action(Verb.LANGUAGES)
    controls = _controls(turn, (Verb.REPEAT, current))
    prompt = "" if turn.profile.keypad else _("Reply %(keys)s", keys=keys_text(choices, ()))
    return _reply(
        turn,
        ReplyKind.LANGUAGES,
        current=current,
        title=_line(turn, _("Choose your language")),
        choices=choices,
        controls=controls,
        prompt=prompt,
        notes=(note,),
        total=len(choices),
        invalid=invalid,
    )


def menu_page_size(profile: Profile, locale: str | None) -> int:
    """Categories per page of the menu in ``locale`` on a channel with ``profile``."""
    if profile.ucs2_menu_page_size is None or locale is None or _menu_is_gsm7(locale):
        return profile.menu_page_size
    return profile.ucs2_menu_page_size


@cache
def _menu_is_gsm7(locale: str) -> bool:
    """Whether the menu's words in ``locale`` fold to GSM-7: its title, categories, prompt
    and commands, read from the catalogs (compiled once when the app starts), so that a
    language needs no entry in a list of scripts."""
    with force_locale(locale):
        words = [
            _("What do you need?"),
            *(category_name(slug) for slug in CATEGORY_SLUGS),
            _("Send what you need in a few words, or reply %(keys)s", keys=""),
            *(str(_CONTROL_LABELS[verb]) for verb in _CONTROL_WORDS),
            *(command_word(command, locale) for command in _CONTROL_WORDS.values()),
        ]
    return is_gsm(fold("\n".join(words)))


def menu_reply(
    turn: Turn,
    *,
    page: int = 0,
    kind: ReplyKind = ReplyKind.MENU,
    title: Line | None = None,
    items: Sequence[Line] = (),
    note: str = "",
    invalid: bool = False,
    helpline: str | None = None,
    current: Action | None = None,
) -> Reply:
    """The categories, a page of them on a keypad; also the help and the no-result answer.

    ``current`` is what shows this screen again when it is not the menu itself (no result).
    """
    size = menu_page_size(turn.profile, turn.locale)
    pages = math.ceil(len(CATEGORY_SLUGS) / size)
    page %= pages
    conversation = turn.conversation
    conversation.level, conversation.menu_page = Level.MENU, page
    slugs = CATEGORY_SLUGS[page * size : (page + 1) * size]
    choices = [
        Choice(
            _key(turn, i, page, size), category_name(slug), turn.locale, Action(Verb.CATEGORY, slug)
        )
        for i, slug in enumerate(slugs)
    ]
    next_page = (Verb.MORE, Action(Verb.MENU, page=page + 1)) if page + 1 < pages else None
    # On a keypad, 0 on the first page is the helpline; on a later one, back to the first.
    zero = (Verb.HELPLINE, Action(Verb.HELPLINE)) if page == 0 else (Verb.MENU, Action(Verb.MENU))
    current = current or Action(Verb.MENU, page=page)
    controls = _controls(
        turn,
        next_page,
        (Verb.LANGUAGES, Action(Verb.LANGUAGES)),
        zero if turn.profile.keypad else None,
        (Verb.REPEAT, current),
    )
    if turn.profile.keypad:
        prompt = _("Press the number of a category.")
    else:
        prompt = _(
            "Send what you need in a few words, or reply %(keys)s",
            keys=keys_text(choices, controls),
        )
    return _reply(
        turn,
        kind,
        title=title or _line(turn, _("What do you need?")),
        items=items,
        choices=choices,
        controls=controls,
        prompt=prompt,
        notes=(note,),
        page=page,
        pages=pages,
        total=len(CATEGORY_SLUGS),
        invalid=invalid,
        helpline=helpline,
        current=current,
    )


def helpline_reply(turn: Turn) -> Reply:
    """A person at the city helpline: decided here, from its hours, for every channel.

    While someone answers, a keypad puts the caller through (TRANSFER, the menu's part is
    over); a text channel gets the number, until when it answers and the week's hours, to call
    it herself. Otherwise (HELPLINE_CLOSED) every channel says when it next opens.
    """
    status = helpline_status(turn.at)
    if status.open_now and turn.profile.keypad:
        title = _("Putting you through to the city helpline.")
        return notice_reply(turn, ReplyKind.TRANSFER, title, end=True, transfer_to=turn.helpline)
    number = _line(turn, _("City helpline: %(number)s", number=turn.helpline), LineRole.HELPLINE)
    when = _line(turn, describe.hours_phrase(status, turn.at), LineRole.HOURS)
    week = [_line(turn, text) for text in describe.weekly_hours_lines(helpline_hours().ranges)]
    controls = _controls(turn, (Verb.MENU, Action(Verb.MENU)))
    if status.open_now:
        kind, title_line, items = ReplyKind.TRANSFER, number, [when, *week]
    else:
        kind, title_line = ReplyKind.HELPLINE_CLOSED, _line(turn, _("The helpline is closed now."))
        items = [when, number, *week]
    opening = status.next_opening
    return _reply(
        turn,
        kind,
        title=title_line,
        items=items,
        controls=controls,
        prompt=_what_next(turn, *controls),
        helpline=turn.helpline,
        transfer_to=turn.helpline if status.open_now else None,
        opens_at=opening.starts if opening is not None and not status.open_now else None,
    )


def no_result_reply(turn: Turn, title: str, current: Action, *, note: str = "") -> Reply:
    """Nothing to show: said plainly, with the categories and a person to call."""
    helpline = _line(turn, _("City helpline: %(number)s", number=turn.helpline), LineRole.HELPLINE)
    return menu_reply(
        turn,
        kind=ReplyKind.NO_RESULT,
        title=_line(turn, title),
        items=(helpline,),
        note=note,
        helpline=turn.helpline,
        current=current,
    )


def listing_area(turn: Turn, listing: Listing) -> Area | None:
    """The area distances are measured from: the one the search named, else the resident's."""
    if listing.postcode or listing.district:
        return find_area(turn.session, postcode=listing.postcode, district=listing.district)
    return turn.area


def load_cards(turn: Turn, ids: Sequence[str], area: Area | None) -> list[ServiceCard]:
    """Cards for ``ids`` in order, skipping services unlisted since the list was made."""
    listed = turn.directory.services
    return [
        service_card(listed[service_id], turn.locale, turn.at, turn.timezone, area)
        for service_id in ids
        if service_id in listed
    ]


def _listing_title(turn: Turn, listing: Listing, area: Area | None) -> str:
    slug = listing.arg if listing.verb == Verb.CATEGORY else listing.category
    topic = category_name(slug) if slug else listing.arg
    place = area.postcode or area.district if area is not None else None
    if place:
        return _("%(topic)s near %(area)s", topic=topic, area=place)
    return topic


def _choice_details(turn: Turn, card: ServiceCard) -> tuple[Line, ...]:
    details = [
        _line(turn, describe.hours_phrase(card, turn.at), LineRole.HOURS),
        Line(
            describe.address_line(card.location, with_city=False), ORIGINAL_LOCALE, LineRole.ADDRESS
        ),
    ]
    if card.distance_km is not None:
        details.append(_line(turn, describe.distance_phrase(card.distance_km), LineRole.DISTANCE))
    return tuple(line for line in details if line.text)


def list_reply(
    turn: Turn,
    *,
    cards: Sequence[ServiceCard] | None = None,
    note: str = "",
    invalid: bool = False,
) -> Reply:
    """The current page of the last list: each place with when it opens and where it is.

    ``cards`` may hand over the page's cards when they were just built.
    """
    conversation = turn.conversation
    listing = conversation.listing
    assert listing is not None, "list_reply needs a listing"
    size = turn.profile.page_size
    pages = max(1, math.ceil(len(listing.ids) / size))
    page = conversation.page % pages
    conversation.level, conversation.page = Level.LIST, page
    area = listing_area(turn, listing)
    if cards is None:
        cards = load_cards(turn, listing.ids[page * size : (page + 1) * size], area)
    list_verb = Verb.CATEGORY if listing.verb == Verb.CATEGORY else Verb.SEARCH
    current = Action(list_verb, listing.arg, page)
    if not cards:
        return no_result_reply(turn, _("These places are no longer listed."), current, note=note)
    choices = [
        Choice(
            _key(turn, i, page, size),
            card.name.text,
            card.name.locale,
            Action(Verb.SERVICE, card.id),
            _choice_details(turn, card),
            service=card,
        )
        for i, card in enumerate(cards)
    ]
    next_page = (Verb.MORE, Action(list_verb, listing.arg, page + 1)) if page + 1 < pages else None
    controls = _controls(
        turn,
        next_page,
        (Verb.MENU, Action(Verb.MENU)),
        (Verb.REPEAT, current),
    )
    if turn.profile.keypad:
        prompt = _("Press the number of a place.")
    else:
        prompt = _("Reply %(keys)s", keys=keys_text(choices, controls))
    return _reply(
        turn,
        ReplyKind.RESULTS,
        title=_line(turn, _listing_title(turn, listing, area)),
        choices=choices,
        controls=controls,
        prompt=prompt,
        notes=(note,),
        content=[card.name for card in cards],
        current=current,
        page=page,
        pages=pages,
        total=len(listing.ids),
        invalid=invalid,
    )


def _list_number(turn: Turn, service_id: str) -> int | None:
    """The number a service has in the last list on a text channel (they number on)."""
    listing = turn.conversation.listing
    if listing is None or service_id not in listing.ids:
        return None
    return listing.ids.index(service_id) + 1


def _service_lines(turn: Turn, card: ServiceCard) -> list[Line]:
    """The short form of a service (SMS, voice): what, when, where, phone, conditions."""
    lines = [
        _content(card.summary, LineRole.SUMMARY),
        _line(turn, describe.hours_phrase(card, turn.at), LineRole.HOURS),
        *(_content(note, LineRole.CLOSURE) for note in describe.closure_notes(card)),
        Line(describe.address_line(card.location), ORIGINAL_LOCALE, LineRole.ADDRESS),
        _line(turn, describe.phone_phrase(card), LineRole.PHONE),
        _line(turn, describe.access_phrase(card), LineRole.ACCESS),
        _line(turn, describe.languages_phrase(card.languages), LineRole.LANGUAGES),
    ]
    return [line for line in lines if line.text]


def can_send_sms(turn: Turn) -> bool:
    """A caller can be sent details by SMS: a known number that did not opt out."""
    contact = turn.contact
    return turn.profile.keypad and contact is not None and contact.opted_out_at is None


def service_reply(
    turn: Turn,
    card: ServiceCard,
    *,
    kind: ReplyKind = ReplyKind.SERVICE,
    prompt: str | None = None,
    note: str = "",
    invalid: bool = False,
) -> Reply:
    """One service: the short form in ``items``, the whole card in ``service``."""
    conversation = turn.conversation
    conversation.level, conversation.service_id = Level.SERVICE, card.id
    sendable = can_send_sms(turn)
    current = Action(Verb.SERVICE, card.id)
    controls = _controls(
        turn,
        (Verb.SEND_SMS, Action(Verb.SEND_SMS, card.id)) if sendable else None,
        (Verb.REPEAT, current),
        (Verb.MENU, Action(Verb.MENU)),
    )
    if prompt is None:
        prompt = "" if turn.profile.keypad else _service_prompt(turn, card, controls)
    return _reply(
        turn,
        kind,
        title=_content(card.name, LineRole.TEXT),
        items=_service_lines(turn, card),
        controls=controls,
        prompt=prompt,
        service=card,
        current=current,
        notes=(note,),
        content=(card.name, card.summary, *describe.closure_notes(card)),
        invalid=invalid,
        can_send_sms=sendable,
    )


def _service_prompt(turn: Turn, card: ServiceCard, controls: Sequence[Choice]) -> str:
    """What to reply on a text channel, and how to report a problem with this place."""
    keys = keys_text((), controls)
    number = _list_number(turn, card.id)
    if number is None:
        return _("Reply %(keys)s", keys=keys)
    return _(
        "Reply %(keys)s. Wrong information? Send %(report)s %(number)s and what is wrong.",
        keys=keys,
        report=command_word(Command.REPORT, turn.locale),
        number=number,
    )


def notice_reply(
    turn: Turn,
    kind: ReplyKind,
    title: str,
    *,
    note: str = "",
    end: bool = False,
    transfer_to: str | None = None,
) -> Reply:
    """A confirmation in one line, then what the resident can do next (unless it is over)."""
    controls = () if end else _controls(turn, (Verb.MENU, Action(Verb.MENU)))
    return _reply(
        turn,
        kind,
        title=_line(turn, title),
        controls=controls,
        prompt="" if end else _what_next(turn, *controls),
        notes=(note,),
        end=end,
        transfer_to=transfer_to,
    )
