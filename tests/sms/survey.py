"""Every kind of screen the demo city shows by SMS, in each language, rendered as it is sent.

A resident per language, on a phone from a country of that language, chooses her language,
opens the menu, asks where to eat, then walks every category: its first ``pages`` pages and
every place on them; she also reports a place, asks for something that does not exist,
stops, starts and is forgotten. Used by the tests (every answer fits) and by
``bench/sms_webhook.py`` (segments per answer). Runs the engine and the renderer directly,
in the current app context; the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from channels.sms.encoding import Page
from channels.sms.render import fit
from gateway.conversation import Action, Inbound, Reply, ReplyKind, Verb, handle
from gateway.i18n import LANGUAGE_NAMES
from gateway.models import CATEGORY_SLUGS
from tests.conftest import MONDAY_10H

# locale: (a phone of that country, help, a question, more, report, forget)
LANGUAGES = {
    "fr": ("+33612345678", "AIDE", "ou manger ce soir", "SUITE", "AVIS", "OUBLI"),
    "en": ("+447700900123", "HELP", "where can I eat tonight", "MORE", "REPORT", "FORGET"),
    "es": ("+34612345678", "AYUDA", "donde comer esta noche", "MAS", "AVISO", "OLVIDAR"),
    "pt": ("+351912345678", "AJUDA", "onde comer hoje", "MAIS", "AVISO", "ESQUECER"),
    "ar": ("+212612345678", "مساعدة", "أين آكل", "المزيد", "بلاغ", "انسني"),
    "uk": ("+380671234567", "ДОПОМОГА", "де поїсти", "ЩЕ", "СКАРГА", "ЗАБУДЬ"),
}
LATIN = ("fr", "en", "es", "pt")


@dataclass(frozen=True)
class Rendered:
    locale: str
    asked: str
    kind: ReplyKind
    page: Page


class _Resident:
    def __init__(self, locale: str, start: datetime) -> None:
        self.locale = locale
        self.number = LANGUAGES[locale][0]
        self.now = start
        self.seen: list[Rendered] = []

    def send(self, text: str | None = None, action: Action | None = None) -> Reply:
        self.now += timedelta(seconds=20)
        reply = handle(Inbound("sms", self.number, text, None, None, self.now, action))
        asked = text if text is not None else action.token if action else ""
        self.seen.append(Rendered(self.locale, asked, reply.kind, fit(reply)))
        return reply

    def pick_every_place(self, reply: Reply) -> None:
        for choice in reply.choices:
            self.send(choice.key)


def survey(
    locales: tuple[str, ...] = tuple(LANGUAGES), pages: int = 1, start: datetime = MONDAY_10H
) -> list[Rendered]:
    """Every screen of the walk, in order, for each of ``locales``."""
    seen: list[Rendered] = []
    for locale in locales:
        _number, help_word, question, more, report, forget = LANGUAGES[locale]
        resident = _Resident(locale, start)
        resident.send(LANGUAGE_NAMES[locale])
        resident.send(help_word)
        resident.pick_every_place(resident.send(question))
        resident.send(f"{report} 1 ?")
        for slug in CATEGORY_SLUGS:
            listing = resident.send(action=Action(Verb.CATEGORY, slug))
            for page in range(min(pages, listing.hints.pages)):
                if page:
                    listing = resident.send(more)
                resident.pick_every_place(listing)
        resident.send("zzz qwxv")
        resident.send("STOP")
        resident.send("START")
        resident.send(forget)
        seen += resident.seen
    return seen
