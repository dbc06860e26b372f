"""Reading the directory as channels do: cards in a locale, a category's services in order."""

from datetime import UTC, datetime

from sqlalchemy import event

from gateway.directory.listings import ranked_ids
from gateway.directory.operations import bump_directory_version
from gateway.directory.queries import (
    category_counts,
    directory_snapshot,
    find_area,
    get_service,
    listed_services,
    service_card,
)
from gateway.models import ServiceStatus
from tests.conftest import MONDAY_10H

TZ = "Europe/Paris"


def test_card_in_the_asked_locale(make_service) -> None:
    service = make_service("Repas chaud", texts={"en": {"name": "Hot meal", "summary": "Free."}})
    card = service_card(service, "en", MONDAY_10H, TZ)
    assert (card.name.text, card.name.fallback) == ("Hot meal", False)
    assert card.summary.text == "Free."
    assert not card.any_fallback


def test_card_falls_back_to_french_and_says_so(make_service) -> None:
    service = make_service("Repas chaud")
    card = service_card(service, "uk", MONDAY_10H, TZ)
    assert card.name.text == "Repas chaud"
    assert card.name.locale == "fr"
    assert card.any_fallback


def test_category_lists_open_now_first_then_soonest(make_service) -> None:
    make_service("Fermé le lundi", hours=[(1, "09:00", "12:00")])
    make_service("Ouvert maintenant", hours=[(0, "09:00", "12:00")])
    make_service("Ouvre cet après-midi", hours=[(0, "14:00", "16:00")])
    make_service("Autre catégorie", categories=("health",), hours=[(0, "09:00", "12:00")])
    names = [c.name.text for c in services_of_category_now("food")]
    assert names == ["Ouvert maintenant", "Ouvre cet après-midi", "Fermé le lundi"]


def services_of_category_now(slug: str, area=None):  # type: ignore[no-untyped-def]
    """The category's cards in the order every channel lists them."""
    from gateway.db import db

    snapshot = directory_snapshot(db.session)
    ids = ranked_ids(snapshot, slug, "fr", MONDAY_10H, TZ, area, nearest_first=10)
    return [service_card(snapshot.services[id], "fr", MONDAY_10H, TZ, area) for id in ids]


def test_area_puts_services_there_first_then_nearest(make_service, session) -> None:
    hours = [(0, "09:00", "12:00")]
    make_service("Loin", hours=hours, postcode="45160", district="Le Port", latitude=47.95)
    make_service("Ici", hours=[(2, "09:00", "12:00")], postcode="45130", district="Les Tilleuls",
                 latitude=47.90)  # fmt: skip
    make_service("Proche", hours=hours, postcode="45100", district="Centre-ville", latitude=47.905)
    area = find_area(session, postcode="45130")
    assert area.latitude is not None
    names = [c.name.text for c in services_of_category_now("food", area)]
    assert names == ["Ici", "Proche", "Loin"]
    assert find_area(session, district="les tilleuls").latitude == area.latitude


def test_inactive_and_archived_services_are_not_listed(make_service, session) -> None:
    make_service("Actif")
    make_service("Fermé pour travaux", status=ServiceStatus.TEMPORARILY_CLOSED)
    make_service("Plus actif", status=ServiceStatus.INACTIVE)
    make_service("Archivé", archived_at=datetime(2026, 1, 1, tzinfo=UTC))
    names = {service_card(s, "fr", MONDAY_10H, TZ).name.text for s in listed_services(session)}
    assert names == {"Actif", "Fermé pour travaux"}
    counts = category_counts(session)
    assert counts["food"] == 2
    assert counts["emergency"] == 0
    assert len(counts) == 16


def test_temporarily_closed_comes_after_open_ones(make_service) -> None:
    make_service("Fermé", status=ServiceStatus.TEMPORARILY_CLOSED, hours=[(0, "09:00", "12:00")])
    make_service("Ouvert demain", hours=[(1, "09:00", "12:00")])
    names = [c.name.text for c in services_of_category_now("food")]
    assert names == ["Ouvert demain", "Fermé"]
    assert not services_of_category_now("food")[1].hours.open_now


def test_get_service_loads_everything_a_card_needs(make_service, session) -> None:
    service_id = make_service("Repas", hours=[(0, "09:00", "12:00")]).id
    session.expunge_all()
    service = get_service(session, service_id)
    card = service_card(service, "fr", MONDAY_10H, TZ)
    assert card.hours.open_now
    assert card.location.postcode == "45100"
    assert get_service(session, "no-such-id") is None


def test_the_snapshot_answers_without_a_query_until_the_directory_changes(
    make_service, session
) -> None:
    service = make_service("Repas", hours=[(0, "09:00", "12:00")])
    make_service("Plus actif", status=ServiceStatus.INACTIVE)
    session.commit()
    snapshot = directory_snapshot(session)
    assert directory_snapshot(session) is snapshot, "one per version"
    assert [facts.id for facts in snapshot.services.values()] == [service.id], "listed only"
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    connection = session.connection()
    event.listen(connection, "before_cursor_execute", record)
    card = service_card(snapshot.services[service.id], "fr", MONDAY_10H, TZ)
    [listed_id] = ranked_ids(snapshot, "food", "fr", MONDAY_10H, TZ)
    event.remove(connection, "before_cursor_execute", record)
    assert seen == []
    assert listed_id == service.id
    assert card == service_card(get_service(session, service.id), "fr", MONDAY_10H, TZ)
    assert (card.name.text, card.hours.open_now, card.location.postcode) == ("Repas", True, "45100")

    # An edit bumps the version: the next read sees it (in every process, by the stamp).
    service.text_by_locale()["fr"].name = "Repas chaud"
    bump_directory_version(session, [service.id])
    session.flush()
    changed = directory_snapshot(session)
    assert changed is not snapshot
    assert changed.services[service.id].text("name", "fr").text == "Repas chaud"
    assert services_of_category_now("food")[0].name.text == "Repas chaud"


def test_a_change_rolled_back_never_stands_in_for_a_later_one(make_service, session) -> None:
    service = make_service("Repas")
    session.commit()
    # A transaction renames the service and reads the directory, then is rolled back...
    service.text_by_locale()["fr"].name = "Nom abandonné"
    bump_directory_version(session, [service.id])
    session.flush()
    assert directory_snapshot(session).services[service.id].text("name", "fr").text == (
        "Nom abandonné"
    )
    session.rollback()
    # ...and the next change, committed, takes the same version number.
    service.text_by_locale()["fr"].name = "Repas chaud"
    bump_directory_version(session, [service.id])
    session.commit()
    fresh = directory_snapshot(session)
    assert fresh.services[service.id].text("name", "fr").text == "Repas chaud"
    assert directory_snapshot(session) is fresh, "committed: cached again"


def test_a_locale_lists_places_by_their_names_in_it(make_service) -> None:
    hours = [(0, "09:00", "12:00")]
    make_service("Bol chaud", hours=hours, texts={"en": {"name": "Zucchini soup"}})
    make_service("Soupe du soir", hours=hours, texts={"en": {"name": "Evening soup"}})
    make_service("Repas partagé", hours=hours)  # not translated: its French name in English
    from gateway.db import db

    snapshot = directory_snapshot(db.session)
    for locale, names in [
        ("fr", ["Bol chaud", "Repas partagé", "Soupe du soir"]),
        ("en", ["Evening soup", "Repas partagé", "Zucchini soup"]),
        ("uk", ["Bol chaud", "Repas partagé", "Soupe du soir"]),
    ]:
        ids = ranked_ids(snapshot, "food", locale, MONDAY_10H, TZ)
        assert [snapshot.services[id].text("name", locale).text for id in ids] == names
