"""The conversation engine: one message in, one reply out, the same for every channel.

:func:`handle` finds the resident (by keyed hash), her conversation on this channel and the
language to answer in, works out what she asked for, and answers it. It flushes its writes and
leaves the commit to the channel's view, which commits once for the whole webhook.
Whatever arrives — nothing, emoji, a page of markup — gets a helpful answer, never an error.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from flask_babel import gettext as _

from gateway import contacts
from gateway.config import Settings, settings
from gateway.conversation import state
from gateway.conversation.commands import (
    Command,
    Parsed,
    clean,
    command_word,
    parse_digits,
    parse_text,
)
from gateway.conversation.languages import COUNTRY_LOCALES, resolve_locale
from gateway.conversation.menus import (
    Turn,
    can_send_sms,
    helpline_reply,
    languages_reply,
    list_reply,
    listing_area,
    load_cards,
    menu_page_size,
    menu_reply,
    no_result_reply,
    notice_reply,
    service_reply,
)
from gateway.conversation.profiles import Profile, profile_for
from gateway.conversation.state import Conversation, Level, Listing
from gateway.conversation.types import (
    LOCALE_SOURCE_RANK,
    Action,
    Inbound,
    LocaleSource,
    Reply,
    ReplyKind,
    Verb,
)
from gateway.db import db
from gateway.directory.categories import category_name
from gateway.directory.listings import ranked_ids
from gateway.directory.operations import report_problem
from gateway.directory.queries import (
    Area,
    ServiceCard,
    find_area,
    get_service,
)
from gateway.i18n import LANGUAGE_NAMES, pick_field
from gateway.models import CATEGORY_SLUGS, Contact
from gateway.search import detect_language, record_query, search

SEARCH_LIMIT = 50
# Places of a category a stored conversation keeps, as many as a search finds: at a city's
# size a category holds thousands, whose ids would be written and read with every message
# (a list no one keeps, a web page, has them all, for its page links).
KEPT_LISTING = SEARCH_LIMIT

# Commands that are steps in the menu tree, the same as following a choice's action.
_NAVIGATION = {
    Command.MENU: Verb.MENU,
    Command.MORE: Verb.MORE,
    Command.REPEAT: Verb.REPEAT,
    Command.SEND_SMS: Verb.SEND_SMS,
}


def handle(inbound: Inbound, contact: Contact | None = None) -> Reply:
    """Answer one message or key press (uses ``db.session``; flushes, does not commit).

    ``contact`` is the sender's, when the caller has found it already (the inbound pipeline
    does, to store the message): the engine looks it up otherwise.
    """
    session = db.session
    config = settings()
    profile = profile_for(inbound.channel)
    if contact is None:
        contact = contacts.contact_or_none(session, inbound.contact)
    conversation = (
        state.load(session, contact, inbound.channel, inbound.received_at)
        if contact is not None and not inbound.new_session
        else Conversation()
    )
    locales: tuple[str, ...] = config.locales
    parsed = _understand(inbound, profile, conversation, locales)
    locale, source = _language(inbound, parsed, contact, conversation, config)
    conversation.locale, conversation.locale_source = locale, source
    turn = Turn(
        session=session,
        inbound=inbound,
        profile=profile,
        contact=contact,
        conversation=conversation,
        locale=locale,
        locale_source=source,
        at=inbound.received_at.astimezone(ZoneInfo(config.timezone)),
        timezone=config.timezone,
        helpline=config.helpline_number,
        locales=locales,
    )
    with force_locale(locale):
        reply = _COMMANDS[parsed.command](turn, parsed)
    if contact is not None and not reply.hints.forgotten:
        contacts.mark_seen(contact, inbound.received_at)
        state.save(session, contact, inbound.channel, conversation, inbound.received_at)
    session.flush()
    return reply


def browse(
    action: Action, *, channel: str, locale: str, at: datetime, area: Area | None = None
) -> Reply:
    """The screen behind a link, for a channel that keeps no conversation (the web's pages).

    Every action is self-contained, so each is answered afresh for nobody in particular, in
    the ``locale`` the channel chose, with places in ``area`` first, and paged by the
    channel's profile; like a keypad, a page past the last shows the first (``hints.page``
    says which one was shown). Flushes, does not commit: a search is counted on its first page.
    """
    return handle(Inbound(channel, None, None, None, locale, at, action, area=area))


# Understanding the message


def _understand(
    inbound: Inbound, profile: Profile, conversation: Conversation, locales: tuple[str, ...]
) -> Parsed:
    """What the message asks for, with numbers and keypad keys read against the screen shown."""
    if inbound.action is not None:
        return Parsed(Command.ACTION, action=inbound.action)
    if inbound.digits and inbound.digits.strip():
        parsed = parse_digits(inbound.digits)
    elif inbound.text is not None:
        parsed = parse_text(inbound.text)
    else:
        parsed = Parsed(Command.EMPTY)
    at_menu = conversation.level is Level.MENU
    if profile.keypad and at_menu and parsed.command is Command.MENU:
        # 0 at the main menu's first page: the resident wants a person.
        if conversation.menu_page == 0:
            return Parsed(Command.ACTION, action=Action(Verb.HELPLINE))
    if profile.keypad and at_menu and parsed.command is Command.SEND_SMS:
        return Parsed(Command.ACTION, action=Action(Verb.LANGUAGES))
    if parsed.command in _NAVIGATION:
        return dataclasses.replace(
            parsed, command=Command.ACTION, action=Action(_NAVIGATION[parsed.command])
        )
    if parsed.command is Command.PICK and parsed.number is not None:
        action = _picked(conversation, profile, parsed.number, locales)
        if action is not None:
            return dataclasses.replace(parsed, command=Command.ACTION, action=action)
    return parsed


def _picked(
    conversation: Conversation, profile: Profile, number: int, locales: tuple[str, ...]
) -> Action | None:
    """The action behind number ``number`` on the screen the resident has; None if none."""
    if conversation.level is Level.LANGUAGES:
        if 1 <= number <= len(locales):
            return Action(Verb.LANGUAGE, locales[number - 1])
        return None
    if conversation.level is Level.MENU:
        # The page was shown in the conversation's language, and sized for it.
        size = menu_page_size(profile, conversation.locale)
        index = _index(profile, number, conversation.menu_page, size)
        if index is not None and index < len(CATEGORY_SLUGS):
            return Action(Verb.CATEGORY, CATEGORY_SLUGS[index])
        return None
    if conversation.level in (Level.LIST, Level.SERVICE):
        service_id = _listed(conversation, profile, number)
        return Action(Verb.SERVICE, service_id) if service_id else None
    return None


def _index(profile: Profile, number: int, page: int, size: int) -> int | None:
    """The list index of ``number``: as numbered (SMS: up to the page shown), or on the page."""
    if profile.continuous:
        return number - 1 if 1 <= number <= (page + 1) * size else None
    return page * size + number - 1 if 1 <= number <= size else None


def _listed(conversation: Conversation, profile: Profile, number: int) -> str | None:
    """The id of the service numbered ``number`` in the last list, as the resident saw it."""
    listing = conversation.listing
    if listing is None:
        return None
    index = _index(profile, number, conversation.page, profile.page_size)
    if index is None or index >= len(listing.ids):
        return None
    return listing.ids[index]


def _language(
    inbound: Inbound,
    parsed: Parsed,
    contact: Contact | None,
    conversation: Conversation,
    config: Settings,
) -> tuple[str, LocaleSource]:
    """Explicit choice → remembered → this conversation's → channel hint → detected → country."""
    explicit = None
    if parsed.command is Command.LANGUAGE:
        explicit = parsed.arg
    elif parsed.action is not None and parsed.action.verb is Verb.LANGUAGE:
        explicit = parsed.action.arg
    detected = parsed.locale
    if parsed.command is Command.SEARCH:
        detected = detect_language(parsed.arg)
    candidates = [
        (explicit, LocaleSource.EXPLICIT),
        (contact.locale if contact is not None else None, LocaleSource.REMEMBERED),
        (conversation.locale, conversation.locale_source or LocaleSource.DEFAULT),
        (inbound.locale_hint, LocaleSource.HINT),
        (detected, LocaleSource.DETECTED),
        (
            COUNTRY_LOCALES.get(contact.country_code or "") if contact else None,
            LocaleSource.COUNTRY,
        ),
        (config.default_locale, LocaleSource.DEFAULT),
    ]
    return resolve_locale(candidates, config.locales)


# Answering


def _on_empty(turn: Turn, _parsed: Parsed) -> Reply:
    """A new conversation is welcomed; a silence within one hears the screen again.

    A caller whose language is only guessed chooses it first: a voice cannot be skimmed.
    """
    if not turn.conversation.is_new:
        return _repeat(turn)
    guessed = LOCALE_SOURCE_RANK[turn.locale_source] < LOCALE_SOURCE_RANK[LocaleSource.HINT]
    if turn.profile.keypad and guessed:
        return languages_reply(turn)
    return menu_reply(turn)


def _on_unreadable(turn: Turn, _parsed: Parsed) -> Reply:
    return menu_reply(
        turn,
        note=_("Sorry, I did not understand. Tell me in a few words what you need."),
        invalid=True,
    )


def _on_pick(turn: Turn, parsed: Parsed) -> Reply:
    """A number that picks nothing on the screen shown."""
    conversation = turn.conversation
    if conversation.level is None:
        note = (
            _("Your last list has expired.")
            if conversation.expired
            else _("There is no list to choose from yet.")
        )
        return menu_reply(turn, note=note, invalid=True)
    return _repeat(turn, note=_("There is no number %(number)s here.", number=parsed.number))


def _on_search(turn: Turn, parsed: Parsed) -> Reply:
    return _search(turn, parsed.arg, page=0)


def _search(turn: Turn, words: str, page: int) -> Reply:
    """Search the resident's words (a link's words are cleaned like a message's)."""
    text = clean(words)
    if not text:
        return menu_reply(turn, invalid=True)
    result = search(
        turn.session,
        text,
        locale=turn.locale,
        at=turn.at,
        timezone=turn.timezone,
        area=turn.area,
        limit=SEARCH_LIMIT,
        directory=turn.directory,
    )
    if page == 0:
        record_query(turn.session, result, channel=turn.inbound.channel, locale=turn.locale)
    # The words as searched, without a number or address: they are echoed and kept.
    text = result.query
    if result.no_result:
        return no_result_reply(
            turn, _("No place found for: %(query)s", query=text), Action(Verb.SEARCH, text)
        )
    area = result.area
    turn.conversation.listing = Listing(
        verb=Verb.SEARCH.value,
        arg=text,
        ids=[hit.service_id for hit in result.hits],
        category=result.categories[0] if result.categories else None,
        postcode=area.postcode if area is not None else None,
        district=area.district if area is not None else None,
    )
    turn.conversation.page = page
    return list_reply(turn)


def _category(turn: Turn, action: Action) -> Reply:
    slug = action.arg
    if slug not in CATEGORY_SLUGS:
        return menu_reply(turn, invalid=True)
    size = turn.profile.page_size
    ids = ranked_ids(
        turn.directory,
        slug,
        turn.locale,
        turn.at,
        turn.timezone,
        area=turn.area,
        nearest_first=(action.page + 1) * size,
    )
    if not ids:
        return no_result_reply(
            turn,
            _("No place is listed under %(category)s yet.", category=category_name(slug)),
            Action(Verb.CATEGORY, slug),
        )
    if turn.contact is not None:
        ids = ids[:KEPT_LISTING]
    turn.conversation.listing = Listing(verb=Verb.CATEGORY.value, arg=slug, ids=ids)
    turn.conversation.page = action.page % math.ceil(len(ids) / size)
    return list_reply(turn)


def _card(turn: Turn, service_id: str) -> ServiceCard | None:
    listing = turn.conversation.listing
    in_list = listing is not None and service_id in listing.ids
    area = listing_area(turn, listing) if listing is not None and in_list else turn.area
    cards = load_cards(turn, [service_id], area)
    return cards[0] if cards else None


def _service(turn: Turn, action: Action) -> Reply:
    card = _card(turn, action.arg)
    if card is None:
        return menu_reply(turn, note=_("This place is no longer listed."), invalid=True)
    return service_reply(turn, card)


def _more(turn: Turn, _action: Action) -> Reply:
    """The next page; after the last one, the first again (a keypad is never a dead end)."""
    conversation = turn.conversation
    if conversation.level in (Level.LIST, Level.SERVICE) and conversation.listing is not None:
        pages = math.ceil(len(conversation.listing.ids) / turn.profile.page_size)
        conversation.page += 1
        note = ""
        if conversation.page >= pages:
            conversation.page = 0
            note = _("That was all. Here is the start of the list again.")
        return list_reply(turn, note=note)
    if conversation.level is Level.MENU:
        return menu_reply(turn, page=conversation.menu_page + 1)
    if conversation.level is Level.LANGUAGES:
        return languages_reply(turn)
    return menu_reply(turn, note=_("There is nothing more to show."), invalid=True)


def _repeat(turn: Turn, _action: Action | None = None, *, note: str = "") -> Reply:
    """The screen the resident has, again (``*``, a silence, or a number that picks nothing)."""
    conversation = turn.conversation
    invalid = bool(note)
    if conversation.level is Level.LANGUAGES:
        return languages_reply(turn, note=note, invalid=invalid)
    if conversation.level is Level.LIST and conversation.listing is not None:
        return list_reply(turn, note=note, invalid=invalid)
    if conversation.level is Level.SERVICE and conversation.service_id is not None:
        card = _card(turn, conversation.service_id)
        if card is not None:
            return service_reply(turn, card, note=note, invalid=invalid)
    return menu_reply(turn, page=conversation.menu_page, note=note, invalid=invalid)


def _send_sms(turn: Turn, action: Action) -> Reply:
    """Voice ``#``: the adapter queues the shown service's details to the caller by SMS."""
    # Only the place on screen: after going back to a list, "#" must not send the last one seen.
    on_screen = turn.conversation.level is Level.SERVICE
    service_id = action.arg or (turn.conversation.service_id if on_screen else None)
    card = _card(turn, service_id) if service_id else None
    if card is None:
        return _repeat(turn, note=_("Choose a place first."))
    if not can_send_sms(turn):
        note = (
            _(
                "You asked us not to send you messages. Text %(word)s to allow them again.",
                word=command_word(Command.OPT_IN, turn.locale),
            )
            if turn.contact is not None and turn.contact.opted_out_at is not None
            else _("We cannot send a text message to this phone.")
        )
        return service_reply(turn, card, note=note, invalid=True)
    return service_reply(
        turn,
        card,
        kind=ReplyKind.HANDOFF,
        prompt=_("We are sending these details to your phone by text message."),
    )


def _remember_language(turn: Turn, code: str) -> None:
    if turn.contact is not None:
        turn.contact.locale = code


def _choose_language(turn: Turn, action: Action) -> Reply:
    """A language picked from the language menu: go on to the main menu in it."""
    if action.arg not in turn.locales:
        return languages_reply(turn, invalid=True)
    _remember_language(turn, action.arg)
    return menu_reply(turn)


_ACTIONS: dict[Verb, Callable[[Turn, Action], Reply]] = {
    Verb.MENU: lambda turn, action: menu_reply(turn, page=action.page),
    Verb.LANGUAGES: lambda turn, _action: languages_reply(turn),
    Verb.LANGUAGE: _choose_language,
    Verb.CATEGORY: _category,
    Verb.SEARCH: lambda turn, action: _search(turn, action.arg, action.page),
    Verb.SERVICE: _service,
    Verb.MORE: _more,
    Verb.REPEAT: _repeat,
    Verb.SEND_SMS: _send_sms,
    Verb.HELPLINE: lambda turn, _action: helpline_reply(turn),
}


def _on_action(turn: Turn, parsed: Parsed) -> Reply:
    assert parsed.action is not None
    return _ACTIONS[parsed.action.verb](turn, parsed.action)


def _on_language(turn: Turn, parsed: Parsed) -> Reply:
    """ "LANGUE EN" or a language's own name; "LANGUE" alone (or unknown) lists them."""
    if parsed.arg not in turn.locales:
        return languages_reply(turn)
    _remember_language(turn, parsed.arg)
    return notice_reply(
        turn,
        ReplyKind.LANGUAGE_SET,
        _("I will answer in %(language)s.", language=LANGUAGE_NAMES[parsed.arg]),
    )


def _on_area(turn: Turn, parsed: Parsed) -> Reply:
    """ "ZONE 45130" or a postcode alone: places near it come first from now on."""
    postcode = parsed.arg
    if not postcode:
        return menu_reply(
            turn,
            note=_(
                "Send %(word)s and your postcode, for example %(example)s.",
                word=command_word(Command.AREA, turn.locale),
                example=f"{command_word(Command.AREA, turn.locale)} 45100",
            ),
            invalid=True,
        )
    if turn.contact is not None:
        turn.contact.postcode = postcode
    known = find_area(turn.session, postcode=postcode).latitude is not None
    return notice_reply(
        turn,
        ReplyKind.AREA_SET,
        _("Your area is now %(postcode)s: places near it come first.", postcode=postcode),
        note="" if known else _("No place is listed in %(postcode)s yet.", postcode=postcode),
    )


def _on_opt_out(turn: Turn, _parsed: Parsed) -> Reply:
    if turn.contact is not None:
        contacts.opt_out(turn.contact, turn.inbound.received_at)
    return notice_reply(
        turn,
        ReplyKind.OPTED_OUT,
        _(
            "You will get no more messages from us. Send %(word)s to get them again.",
            word=command_word(Command.OPT_IN, turn.locale),
        ),
        end=True,
    )


def _on_opt_in(turn: Turn, _parsed: Parsed) -> Reply:
    if turn.contact is not None:
        contacts.opt_in(turn.contact)
    return notice_reply(turn, ReplyKind.OPTED_IN, _("You can get our messages again."))


def _on_forget(turn: Turn, _parsed: Parsed) -> Reply:
    """Delete everything about the number at once, and say so in the resident's language."""
    reply = notice_reply(
        turn,
        ReplyKind.FORGOTTEN,
        _("Everything we kept about your number has been deleted."),
        end=True,
    )
    if turn.contact is None:
        return reply
    contacts.forget_contact(turn.session, turn.contact)
    return dataclasses.replace(
        reply, hints=dataclasses.replace(reply.hints, forgotten=True, opted_out=False)
    )


def _on_report(turn: Turn, parsed: Parsed) -> Reply:
    """ "AVIS 2 fermé": a report about place 2 of the last list, for the social workers.

    Without a number it is about the place on screen; with neither, a search for the words
    ("avis d'imposition" is a question, not a report).
    """
    conversation = turn.conversation
    if parsed.number is not None:
        service_id = _listed(conversation, turn.profile, parsed.number)
    elif conversation.level is Level.SERVICE:
        service_id = conversation.service_id
    elif parsed.arg:
        return _search(turn, parsed.text, page=0)
    else:
        service_id = None
    service = get_service(turn.session, service_id) if service_id else None
    if service is None:
        how = _(
            "To report a problem, send %(word)s, the number of the place, and what is wrong.",
            word=command_word(Command.REPORT, turn.locale),
        )
        if parsed.number is not None and conversation.listing is not None:
            missing = _("There is no number %(number)s in your last list.", number=parsed.number)
            return list_reply(turn, note=f"{missing} {how}", invalid=True)
        return menu_reply(turn, note=how, invalid=True)
    report_problem(
        turn.session,
        service.id,
        parsed.arg,
        channel=turn.inbound.channel,
        locale=turn.locale,
        contact_id=turn.contact.id if turn.contact is not None else None,
    )
    name = pick_field(service.text_by_locale(), "name", turn.locale).text
    return notice_reply(
        turn,
        ReplyKind.REPORTED,
        _("Thank you. Our team will check your report about %(name)s.", name=name),
    )


_COMMANDS: dict[Command, Callable[[Turn, Parsed], Reply]] = {
    Command.EMPTY: _on_empty,
    Command.UNREADABLE: _on_unreadable,
    Command.PICK: _on_pick,
    Command.SEARCH: _on_search,
    Command.ACTION: _on_action,
    Command.LANGUAGE: _on_language,
    Command.AREA: _on_area,
    Command.OPT_OUT: _on_opt_out,
    Command.OPT_IN: _on_opt_in,
    Command.FORGET: _on_forget,
    Command.REPORT: _on_report,
}
