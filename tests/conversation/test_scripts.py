"""Whole conversations by SMS in each of the six languages, as given/when/then tables.

The resident's phone is from a country of her language; she asks for help, searches in her
own words, pages, picks, reports a problem and has herself forgotten, all in her language.
"""

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from gateway.conversation import ReplyKind as K
from gateway.directory.categories import category_name
from gateway.i18n import LANGUAGE_NAMES
from gateway.models import Feedback
from tests.conversation.conftest import Step, play

pytestmark = pytest.mark.backends("postgresql")

LANGUAGES = {
    # locale: (number, help, search, more, report, what is wrong, forget)
    "fr": ("+33612345678", "AIDE", "j'ai faim", "SUITE", "AVIS", "fermé", "OUBLI"),
    "en": ("+447700900123", "HELP", "I am hungry", "MORE", "REPORT", "closed", "FORGET"),
    "ar": ("+212612345678", "مساعدة", "أريد أكل", "المزيد", "بلاغ", "مغلق", "انسني"),
    "es": ("+34612345678", "AYUDA", "tengo hambre", "MAS", "AVISO", "cerrado", "OLVIDAR"),
    "pt": ("+351912345678", "AJUDA", "tenho fome", "MAIS", "AVISO", "fechado", "ESQUECER"),
    "uk": ("+380671234567", "ДОПОМОГА", "де поїсти", "ЩЕ", "СКАРГА", "зачинено", "ЗАБУДЬ"),
}


@pytest.mark.parametrize("locale", sorted(LANGUAGES))
def test_a_whole_conversation(locale, city, phone, session) -> None:
    number, help_word, search_words, more, report, wrong, forget = LANGUAGES[locale]
    with force_locale(locale):
        food = category_name("food")
    # The sixteen categories on one screen, but in a script GSM-7 lacks: eight, then more.
    menu = [f"1. {food}", "8. ", more] if locale in ("ar", "uk") else [f"1. {food}", "16. "]
    resident = phone(number)
    play(
        resident,
        [
            Step(help_word, K.MENU, menu, locale),
            Step(search_words, K.RESULTS, [food, "1. ", "3. ", more], locale),
            Step(more, K.RESULTS, ["4. ", "5. "], locale),
            Step(more, K.RESULTS, ["1. ", "3. "], locale),  # after the last page, the first
            Step("2", K.SERVICE, ["rue de la Paix, 45100 Val-de-Lisle", f"{report} 2"], locale),
            Step(f"{report} 2 {wrong}", K.REPORTED, [], locale),
        ],
    )
    second = resident.replies[4].service
    [feedback] = session.scalars(select(Feedback)).all()
    assert (feedback.service_id, feedback.text, feedback.locale) == (second.id, wrong, locale)
    play(resident, [Step(forget, K.FORGOTTEN, [], locale)])
    session.refresh(feedback)
    # The resident was forgotten: the report stays, without its author or her words.
    assert (feedback.service_id, feedback.contact_id, feedback.text) == (second.id, None, "")
    assert resident.contact() is None


@pytest.mark.parametrize("locale", sorted(LANGUAGES))
def test_choosing_a_language_by_its_own_name_sticks(locale, city, phone) -> None:
    resident = phone("+33612345678")
    play(
        resident,
        [
            Step(LANGUAGE_NAMES[locale], K.LANGUAGE_SET, [LANGUAGE_NAMES[locale]], locale),
            Step("MENU", K.MENU, [], locale),
            Step("2", K.RESULTS, [], locale),  # Shelter
        ],
    )
    assert resident.contact().locale == locale
