"""How each channel pages and numbers the one menu tree.

The tree is the same everywhere; only these facts differ: how many places fit on a page (three
in one SMS, eight on a keypad that keeps 9 for "more"), whether numbers run on across pages
(an SMS list can say 4, 5, 6; a keypad has one key per place on the page) and whether the
resident answers with keys. A text message holds less than half as much in a script GSM-7
lacks (Arabic, Cyrillic: UCS-2, 67 characters a segment instead of 153), so SMS shows the
sixteen categories on one page only in a language GSM-7 can write
(:func:`gateway.conversation.menus.menu_page_size` tells from the language's own words).
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.conversation.types import Verb


@dataclass(frozen=True)
class Profile:
    keypad: bool  # answers are key presses; navigation sits on the keys below
    page_size: int  # services per page
    menu_page_size: int  # categories per page
    continuous: bool  # numbers run on across pages rather than restart at 1
    # Categories per page when the menu's words need UCS-2; None: the same as any other.
    ucs2_menu_page_size: int | None = None


PROFILES = {
    "sms": Profile(
        keypad=False, page_size=3, menu_page_size=16, continuous=True, ucs2_menu_page_size=8
    ),
    "voice": Profile(keypad=True, page_size=8, menu_page_size=8, continuous=False),
    # Twenty places a page: a long list on a small screen, still far under the lite page's 14 KB.
    "web": Profile(keypad=False, page_size=20, menu_page_size=16, continuous=True),
}
# A channel added later (WhatsApp, USSD…) answers like SMS until it gets a profile of its own.
DEFAULT_PROFILE = PROFILES["sms"]

# Keypad keys that always mean the same (the menu's "#" is the language menu: nothing to send).
KEYPAD_KEYS: dict[Verb, str] = {
    Verb.MORE: "9",
    Verb.REPEAT: "*",
    Verb.MENU: "0",
    Verb.HELPLINE: "0",
    Verb.SEND_SMS: "#",
    Verb.LANGUAGES: "#",
}


def profile_for(channel: str) -> Profile:
    return PROFILES.get(channel, DEFAULT_PROFILE)
