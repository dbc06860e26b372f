"""The words for when and where, shared by every channel, in the current locale."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from flask_babel import force_locale

from gateway.directory.describe import (
    access_phrase,
    address_line,
    distance_phrase,
    hours_phrase,
    languages_phrase,
    weekly_hours_lines,
)
from gateway.directory.hours import DatedClosure, Hours, WeeklyRange
from gateway.directory.queries import service_card
from gateway.models import Closure, ClosureReason, Location, Phone, ServiceStatus
from tests.conversation.conftest import MONDAY_10H

pytestmark = pytest.mark.backends("postgresql")

MONDAY = MONDAY_10H.date()


def plain(text: str) -> str:
    """Babel puts a narrow no-break space before AM/PM; the SMS channel folds it to a space."""
    return text.replace("\u202f", " ")


def weekly(*ranges: tuple[int, str, str]) -> list[WeeklyRange]:
    return [WeeklyRange(d, time.fromisoformat(o), time.fromisoformat(c)) for d, o, c in ranges]


@pytest.mark.parametrize(
    ("ranges", "closures", "at", "phrase"),
    [
        (weekly((0, "09:00", "12:00")), [], MONDAY_10H, "Open now until 12:00 PM"),
        (weekly((0, "14:00", "17:00")), [], MONDAY_10H, "Opens today at 2:00 PM"),
        (weekly((1, "09:00", "12:00")), [], MONDAY_10H, "Opens tomorrow at 9:00 AM"),
        (weekly((3, "09:00", "12:00")), [], MONDAY_10H, "Opens Thursday at 9:00 AM"),
        (weekly((0, "09:00", "09:30")), [], MONDAY_10H, "Opens December 7 at 9:00 AM"),
        (
            [WeeklyRange(d, time(19), time(8)) for d in range(7)],
            [],
            MONDAY_10H.replace(hour=22),
            "Open now until tomorrow 8:00 AM",
        ),
        ([WeeklyRange(d, time(0), time(0)) for d in range(7)], [], MONDAY_10H, "Open 24 hours"),
        (
            weekly((0, "09:00", "12:00"), (1, "09:00", "12:00")),
            [DatedClosure(MONDAY, MONDAY + timedelta(days=33), "works")],
            MONDAY_10H,
            "Closed until January 2 (works)",
        ),
        (
            weekly((0, "09:00", "12:00")),
            [DatedClosure(MONDAY, MONDAY + timedelta(days=3), "other")],
            MONDAY_10H,
            "Closed until December 3",
        ),
        (
            weekly((0, "09:00", "12:00"), (1, "09:00", "12:00")),
            [DatedClosure(MONDAY, MONDAY, "full_today")],
            MONDAY_10H,
            "Full today. Opens tomorrow at 9:00 AM",
        ),
        (
            weekly((0, "09:00", "12:00")),
            [DatedClosure(MONDAY, MONDAY, "closed_today")],
            MONDAY_10H,
            "Closed today. Opens December 7 at 9:00 AM",
        ),
        ([], [], MONDAY_10H, "Hours not listed"),
    ],
)  # fmt: skip
def test_hours_phrases_in_english(plain_app, ranges, closures, at, phrase) -> None:
    status = Hours(ranges, closures, timezone="Europe/Paris").status(at)
    with force_locale("en"):
        assert plain(hours_phrase(status, at)) == phrase


def test_hours_phrase_follows_the_locale(plain_app) -> None:
    status = Hours(weekly((0, "09:00", "12:00")), timezone="Europe/Paris").status(MONDAY_10H)
    with force_locale("fr"):
        assert "12:00" in hours_phrase(status, MONDAY_10H)
    opens = Hours(weekly((3, "09:00", "12:00")), timezone="Europe/Paris").status(MONDAY_10H)
    with force_locale("uk"):
        assert "четвер" in hours_phrase(opens, MONDAY_10H)
    with force_locale("es"):
        assert "jueves" in hours_phrase(opens, MONDAY_10H)


def test_card_phrases_know_closed_services_and_phones(make_service) -> None:
    closed = make_service("Fermé", hours=[(0, "09:00", "12:00")])
    closed.status = ServiceStatus.TEMPORARILY_CLOSED
    call = make_service("Sur appel")
    call.phones = [Phone(number="+33261910200")]
    with force_locale("en"):
        assert hours_phrase(service_card(closed, "en", MONDAY_10H, "Europe/Paris"), MONDAY_10H) == (
            "Temporarily closed"
        )
        assert hours_phrase(service_card(call, "en", MONDAY_10H, "Europe/Paris"), MONDAY_10H) == (
            "Hours: call"
        )


def test_weekly_lines_group_days_with_the_same_hours(make_service) -> None:
    service = make_service(
        "Accueil",
        hours=[(d, "09:00", "12:00") for d in range(5)]
        + [(0, "14:00", "17:00"), (5, "10:00", "12:00")],
    )
    card = service_card(service, "en", MONDAY_10H, "Europe/Paris")
    with force_locale("en"):
        assert [plain(line) for line in weekly_hours_lines(card.weekly)] == [
            "Monday: 9:00 AM–12:00 PM, 2:00 PM–5:00 PM",
            "Tuesday–Friday: 9:00 AM–12:00 PM",
            "Saturday: 10:00 AM–12:00 PM",
        ]
    with force_locale("fr"):
        assert weekly_hours_lines(card.weekly)[1] == "mardi–vendredi: 09:00–12:00"


def test_weekly_lines_for_round_the_clock(make_service) -> None:
    service = make_service("Ligne", hours=[(d, "00:00", "00:00") for d in range(7)])
    card = service_card(service, "en", MONDAY_10H, "Europe/Paris")
    with force_locale("en"):
        assert [plain(line) for line in weekly_hours_lines(card.weekly)] == [
            "Monday–Sunday: 24 hours"
        ]


def test_closure_reasons_and_notes(make_service) -> None:
    service = make_service("Accueil", hours=[(1, "09:00", "12:00")])
    service.closures = [
        Closure(
            starts_on=MONDAY,
            ends_on=date(2027, 1, 3),
            reason=ClosureReason.WORKS,
            message={"fr": "Travaux"},
        )
    ]
    card = service_card(service, "fr", MONDAY_10H, "Europe/Paris")
    with force_locale("en"):
        assert hours_phrase(card, MONDAY_10H) == "Closed until January 3 (works)"


def test_where_and_for_whom(plain_app) -> None:
    place = Location(
        name="Maison", address="12 rue de la Paix", postcode="45100", city="Val-de-Lisle"
    )
    assert address_line(place) == "12 rue de la Paix, 45100 Val-de-Lisle"
    assert address_line(place, with_city=False) == "12 rue de la Paix"
    assert address_line(Location(name="Maison", address="", postcode="", city="")) == "Maison"
    assert address_line(None) == ""
    with force_locale("fr"):
        assert languages_phrase(("fr", "ar", "zz-unknown")).endswith("français, arabe, zz-unknown")
        assert distance_phrase(0.43) == "430 m"
        assert distance_phrase(2.26) == "2,3 km"
    with force_locale("en"):
        assert languages_phrase(()) == ""
        assert languages_phrase(["uk"]) == "Languages: Ukrainian"


def test_access_phrase(make_service) -> None:
    service = make_service("Accueil", access_conditions=["free", "appointment"])
    with force_locale("en"):
        assert access_phrase(service_card(service, "en", MONDAY_10H, "Europe/Paris")) == (
            "Free, by appointment"
        )


def test_listed_conditions_and_languages_take_the_languages_comma(make_service) -> None:
    service = make_service("Accueil", access_conditions=["free", "appointment"])
    card = service_card(service, "ar", MONDAY_10H, "Europe/Paris")
    with force_locale("ar"):
        assert "، " in access_phrase(card) and "," not in access_phrase(card)
        assert languages_phrase(("fr", "en")).endswith("الفرنسية، الإنجليزية")
    with force_locale("fr"):
        assert languages_phrase(("fr", "en")).endswith("français, anglais")


def test_today_is_the_citys_today(plain_app) -> None:
    # 23:30 UTC on Monday is already Tuesday in Paris.
    just_after_midnight = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)
    status = Hours(weekly((1, "09:00", "12:00")), timezone="Europe/Paris").status(
        just_after_midnight
    )
    with force_locale("en"):
        assert plain(hours_phrase(status, just_after_midnight)) == "Opens today at 9:00 AM"
