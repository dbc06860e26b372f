"""The one form of a service: every field saved and audited, errors that lose nothing."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from gateway.audit import history
from gateway.db import db
from gateway.directory.hsds import import_services
from gateway.directory.queries import directory_version, get_service, service_card
from gateway.models import (
    AuditEntry,
    ClosureReason,
    ServiceLocation,
    ServiceStatus,
    TextStatus,
)
from tests.admin.conftest import as_pairs, form_of

pytestmark = pytest.mark.backends("postgresql")

TZ = "Europe/Paris"


def save(browser, service, **changes):  # type: ignore[no-untyped-def]
    fields = form_of(service) | changes
    return browser.post(f"/admin/services/{service.id}", as_pairs(fields))


def entries(service) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    return history(db.session, "service", service.id)


def test_the_form_shows_every_field(admin, make_service) -> None:
    service = make_service("Repas", hours=[(0, "09:00", "12:00")], url="https://r.example")
    html = admin.text(f"/admin/services/{service.id}")
    for name in (
        "organization_id", "status", "url", "email", "categories", "access_conditions",
        "languages", "languages_other", "text-fr-name", "text-fr-summary",
        "text-fr-description", "text-fr-eligibility", "text-fr-how_to_access",
        "text-en-summary", "hours-0-0-opens", "hours-0-0-closes", "hours-6-0-opens",
        "closure-0-starts_on", "closure-0-ends_on", "closure-0-reason",
        "closure-0-message-fr", "phone-0-number", "phone-0-kind", "place-0-address",
        "place-1-postcode", "place-0-latitude",
    ):  # fmt: skip
        assert f'name="{name}"' in html, name
    assert 'value="09:00"' in html
    assert html.index("text-fr-summary") < html.index("text-en-summary")  # French first


def test_every_field_edit_is_audited_with_old_and_new(admin, make_service, make_organization):
    service = make_service("Repas", hours=[(0, "09:00", "12:00")])
    other_org = make_organization("Autre association")
    before = directory_version(db.session)
    response = save(
        admin,
        service,
        organization_id=other_org.id,
        status="temporarily_closed",
        url="repas.example.org",
        email="contact@repas.example.org",
        access_conditions=["free", "appointment"],
        languages=["fr", "en"],
        languages_other="wo, ro",
        categories=["food", "health"],
        **{
            "text-fr-name": "Repas chaud",
            "text-fr-description": "Le midi.",
            "text-en-name": "Hot meal",
            "hours-0-0-opens": "9h30",
            "hours-0-0-closes": "12:00",
            "hours-0-1-opens": "14",
            "hours-0-1-closes": "17h",
            "closure-0-starts_on": "2026-12-24",
            "closure-0-ends_on": "02/01/2027",
            "closure-0-reason": "holiday",
            "closure-0-message-fr": "Fermé pour les fêtes.",
            "phone-0-number": "02 61 91 00 12",
            "phone-0-kind": "voice",
            "place-0-address": "3 rue Neuve",
        },
    )
    assert response.status_code == 303
    assert directory_version(db.session) == before + 1
    [entry] = [e for e in entries(service) if e.action == "service.update"]
    assert entry.actor == "admin@example.org"
    changes = entry.changes
    assert changes["organization"]["new"] == other_org.id
    assert changes["status"] == {"old": "active", "new": "temporarily_closed"}
    assert changes["url"] == {"old": None, "new": "https://repas.example.org"}
    assert changes["email"]["new"] == "contact@repas.example.org"
    assert changes["access_conditions"] == {"old": [], "new": ["free", "appointment"]}
    assert changes["languages"] == {"old": ["fr"], "new": ["fr", "en", "wo", "ro"]}
    assert changes["categories"] == {"old": ["food"], "new": ["food", "health"]}
    assert changes["texts.fr.name"] == {"old": "Repas", "new": "Repas chaud"}
    assert changes["texts.fr.description"] == {"old": "", "new": "Le midi."}
    assert changes["texts.en.name"] == {"old": None, "new": "Hot meal"}
    assert changes["hours"] == {
        "old": [[0, "09:00", "12:00"]],
        "new": [[0, "09:30", "12:00"], [0, "14:00", "17:00"]],
    }
    assert changes["closures"]["new"] == [
        {"starts_on": "2026-12-24", "ends_on": "2027-01-02", "reason": "holiday",
         "message": {"fr": "Fermé pour les fêtes."}}
    ]  # fmt: skip
    assert changes["phones"]["new"] == [
        {"number": "02 61 91 00 12", "kind": "voice", "description": ""}
    ]
    assert changes["places"]["old"][0]["address"] == "1 rue de la Paix"
    assert changes["places"]["new"][0]["address"] == "3 rue Neuve"

    page = admin.text(f"/admin/services/{service.id}/history")
    for shown in ("Repas chaud", "Hot meal", "Monday 09:30–12:00; Monday 14:00–17:00",
                  "Fermé pour les fêtes.", "02 61 91 00 12", "admin@example.org"):  # fmt: skip
        assert shown in page, shown


def test_a_place_edited_through_one_service_is_audited_on_each_service_there(
    admin, make_service
) -> None:
    meals, showers = make_service("Repas"), make_service("Douches")
    showers.locations = [ServiceLocation(location=meals.locations[0].location)]
    db.session.flush()
    save(admin, meals, **{"place-0-address": "3 rue Neuve"})
    for service in (meals, showers):
        [entry] = [e for e in entries(service) if e.action == "service.update"]
        assert entry.changes["places"]["new"][0]["address"] == "3 rue Neuve", service.id
        assert entry.actor == "admin@example.org"
    assert "3 rue Neuve" in admin.text(f"/admin/services/{showers.id}/history")


def test_the_change_is_seen_by_every_channel_on_the_next_request(admin, make_service) -> None:
    service = make_service("Repas")
    version = directory_version(db.session)
    save(admin, service, **{"text-fr-summary": "Repas chaud tous les midis."})
    db.session.expire_all()
    assert directory_version(db.session) > version
    fresh = get_service(db.session, service.id)
    assert fresh is not None
    card = service_card(fresh, "fr", datetime.now(ZoneInfo(TZ)), TZ)
    assert card.summary.text == "Repas chaud tous les midis."


def test_an_unchanged_form_records_nothing(admin, make_service) -> None:
    service = make_service("Repas", hours=[(2, "19:00", "08:00")])
    count = len(entries(service))
    version = directory_version(db.session)
    response = save(admin, service)
    assert response.status_code == 303
    assert len(entries(service)) == count
    assert directory_version(db.session) == version
    assert "Nothing had changed" in admin.text(response.location)


def test_form_errors_keep_everything_typed(admin, make_service) -> None:
    service = make_service("Repas")
    typed = {
        "text-fr-name": "",
        "text-fr-summary": "Un résumé " + "très " * 30 + "long.",
        "text-fr-description": "Une description <b>tapée</b> à garder.",
        "email": "not an email",
        "hours-1-0-opens": "25h",
        "hours-1-0-closes": "18:00",
        "hours-2-0-opens": "10:00",
        "closure-0-starts_on": "2026-12-24",
        "closure-0-ends_on": "2026-12-20",
        "closure-0-message-fr": "Message à garder",
        "place-0-latitude": "nord",
        "phone-0-number": "appelez-nous",
        "categories": [],
    }
    response = save(admin, service, **typed)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert html.count('aria-invalid="true"') >= 9
    for message, field in (
        ("Give the service a name in French.", "text-fr-name"),
        ("keep it to 140 or fewer", "text-fr-summary"),
        ("Write an email address like", "email"),
        ("Write a time like 09:00 or 9h30.", "hours-1-0-opens"),
        ("Give both times", "hours-2-0-closes"),
        ("The last day is before the first day", "closure-0-ends_on"),
        ("Write a number between -90 and 90", "place-0-latitude"),
        ("Write a phone number with digits", "phone-0-number"),
        ("Choose at least one category", "categories"),
    ):
        assert message in html, message
        assert f'href="#{field}"' in html, field  # the summary links to the field
        error = re.search(rf'id="{re.escape(field)}-error">(.*?)</p>', html, re.S)
        assert error and message in error.group(1), field  # and the error sits beside it
    for value in (
        typed["text-fr-summary"],
        "Une description &lt;b&gt;tapée&lt;/b&gt; à garder.",
        'value="25h"',
        'value="18:00"',
        'value="10:00"',
        'value="2026-12-20"',
        "Message à garder",
        'value="nord"',
        'value="appelez-nous"',
    ):
        assert value in html, value
    assert html.startswith("<!doctype html>")
    assert "<title>Error:" in html
    assert not entries(service)  # nothing saved
    assert service.texts[0].name == "Repas"


def test_opening_hours_several_ranges_and_past_midnight(admin, make_service) -> None:
    service = make_service("Abri de nuit", categories=("shelter",))
    response = save(
        admin,
        service,
        **{
            "hours-0-0-opens": "08:00", "hours-0-0-closes": "10:00",
            "hours-0-1-opens": "19:00", "hours-0-1-closes": "08:00",
            "hours-0-2-opens": "", "hours-0-2-closes": "",
            "hours-5-0-opens": "0", "hours-5-0-closes": "24:00",
        },
    )  # fmt: skip
    assert response.status_code == 303
    ranges = [(s.weekday, s.opens_at, s.closes_at) for s in service.schedules]
    assert ranges == [
        (0, time(8), time(10)),
        (0, time(19), time(8)),
        (5, time(0), time(0)),
    ]
    card = service_card(service, "fr", datetime(2026, 12, 1, 2, 0, tzinfo=ZoneInfo(TZ)), TZ)
    assert card.hours.open_now  # Monday 19:00 runs to Tuesday 08:00
    html = admin.text(f"/admin/services/{service.id}")
    assert 'name="hours-0-2-opens"' in html  # a spare range to add another


def test_a_closure_with_dates_reason_and_messages(admin, make_service) -> None:
    service = make_service("Repas")
    response = save(
        admin,
        service,
        **{
            "closure-0-starts_on": "2026-12-24",
            "closure-0-ends_on": "",
            "closure-0-reason": "works",
            "closure-0-message-fr": "Travaux.",
            "closure-0-message-en": "Building works.",
        },
    )
    assert response.status_code == 303
    [closure] = service.closures
    assert (closure.starts_on, closure.ends_on) == (date(2026, 12, 24), date(2026, 12, 24))
    assert closure.reason is ClosureReason.WORKS
    assert closure.message == {"fr": "Travaux.", "en": "Building works."}
    card = service_card(service, "en", datetime(2026, 12, 24, 10, tzinfo=ZoneInfo(TZ)), TZ)
    assert card.hours.closure is not None
    assert card.hours.closure.message["en"] == "Building works."


def test_rows_are_removed_with_their_checkbox(admin, make_service) -> None:
    service = make_service("Repas")
    save(
        admin,
        service,
        **{"closure-0-starts_on": "2026-12-24", "phone-0-number": "3114", "place-1-name": "Annexe"},
    )
    assert (len(service.closures), len(service.phones), len(service.locations)) == (1, 1, 2)
    location_ids = {link.location_id for link in service.locations}
    fields = form_of(service)
    fields |= {"closure-0-remove": "on", "phone-0-remove": "on", "place-0-remove": "on"}
    response = admin.post(f"/admin/services/{service.id}", as_pairs(fields))
    assert response.status_code == 303
    assert (len(service.closures), len(service.phones), len(service.locations)) == (0, 0, 1)
    assert service.locations[0].location.name == "Annexe"
    from gateway.models import Location

    assert all(db.session.get(Location, i) for i in location_ids)  # places are kept


def test_summary_length_in_characters_and_sms(admin, make_service) -> None:
    service = make_service("Repas")
    short = "Repas chaud le midi, gratuit."
    ukrainian = "Гаряча їжа щодня опівдні, безкоштовно, без документів. Приходьте до центру."
    response = save(
        admin,
        service,
        action="check",
        **{"text-fr-summary": short, "text-uk-summary": ukrainian, "text-uk-name": "Їжа"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    count = re.search(r'id="text-fr-summary-count">(.*?)</p>', html, re.S)
    assert (
        count and re.sub(r"\s+", " ", count.group(1)).strip() == f"{len(short)} characters, 1 SMS"
    )
    count = re.search(r'id="text-uk-summary-count">(.*?)</p>', html, re.S)
    assert count and f"{len(ukrainian)} characters, 2 SMS" in re.sub(r"\s+", " ", count.group(1))
    assert "this alphabet needs more SMS" in count.group(1)
    assert 'aria-describedby="text-fr-summary-hint text-fr-summary-count"' in html
    assert service.texts[0].summary == "Repas, résumé."  # checking saves nothing


def test_changing_the_french_marks_translations_for_review(admin, make_service) -> None:
    service = make_service(
        "Repas", texts={"en": {"name": "Meal", "summary": "Hot meal."}, "es": {"name": "Comida"}}
    )
    response = save(admin, service, **{"text-fr-summary": "Repas chaud, le midi."})
    assert response.status_code == 303
    texts = service.text_by_locale()
    assert texts["en"].status is TextStatus.NEEDS_REVIEW  # its summary followed the old French
    assert texts["es"].status is TextStatus.DONE  # no Spanish summary to go stale
    html = admin.text(f"/admin/services/{service.id}")
    assert "needs review" in html
    english = html[html.index('id="locale-en"') :]
    assert "Repas chaud, le midi." in english[: english.index("</details>")]  # French beside

    # Saving the translation clears it; so does ticking "still correct" without editing.
    save(admin, service, **{"text-en-summary": "Hot meal, at noon."})
    assert service.text_by_locale()["en"].status is TextStatus.DONE
    save(admin, service, **{"text-fr-name": "Repas chaud"})
    assert service.text_by_locale()["en"].status is TextStatus.NEEDS_REVIEW
    save(admin, service, **{"text-en-reviewed": "on"})
    assert service.text_by_locale()["en"].status is TextStatus.DONE
    statuses = [e.changes.get("texts.en.status") for e in entries(service) if e.changes]
    assert {"old": "done", "new": "needs_review"} in statuses


def test_french_and_translation_changed_together_stay_done(admin, make_service) -> None:
    service = make_service("Repas", texts={"en": {"name": "Meal", "summary": "Hot meal."}})
    save(admin, service, **{"text-fr-summary": "Repas chaud.", "text-en-summary": "Hot food."})
    assert service.text_by_locale()["en"].status is TextStatus.DONE


def test_emptying_a_translation_removes_it(admin, make_service) -> None:
    service = make_service("Repas", texts={"en": {"name": "Meal"}})
    save(admin, service, **{"text-en-name": "", "text-en-summary": ""})
    assert set(service.text_by_locale()) == {"fr"}


def test_translation_states_are_shown_per_field(admin, make_service) -> None:
    service = make_service("Repas", texts={"en": {"name": "Meal"}})
    html = admin.text(f"/admin/services/{service.id}")
    english = html[html.index('id="locale-en"') :]
    english = english[: english.index("</details>")]
    assert "1 text missing" in english  # the summary; the name is done
    assert 'tag--done">Done' in english
    assert 'tag--missing">Missing' in english


def test_create_a_service_from_the_form(admin, make_organization) -> None:
    organization = make_organization("Secours")
    html = admin.text(f"/admin/services/new?organization={organization.id}")
    assert f'<option value="{organization.id}" selected>' in html
    response = admin.post(
        "/admin/services/new",
        [
            ("organization_id", organization.id),
            ("status", "active"),
            ("categories", "food"),
            ("text-fr-name", "Épicerie solidaire"),
            ("text-fr-summary", "Courses à petit prix."),
            ("hours-2-0-opens", "14:00"),
            ("hours-2-0-closes", "18:00"),
        ],
    )
    assert response.status_code == 303
    service_id = response.location.rsplit("/", 1)[1]
    service = get_service(db.session, service_id)
    assert service is not None
    assert service.verified_at is not None
    [entry] = entries(service)
    assert entry.action == "service.create"
    assert entry.changes["texts.fr.name"] == {"old": None, "new": "Épicerie solidaire"}
    assert entry.changes["hours"]["new"] == [[2, "14:00", "18:00"]]


def test_html_in_any_field_is_shown_as_text(admin, make_service) -> None:
    attack = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    service = make_service(attack, texts={"en": {"name": attack, "summary": attack}})
    save(admin, service, **{"text-fr-description": attack, "phone-0-number": "3114",
                            "phone-0-description": attack, "closure-0-starts_on": "2030-01-01",
                            "closure-0-message-fr": attack})  # fmt: skip
    service.organization.name = attack
    db.session.flush()
    from gateway.models import Feedback

    db.session.add(Feedback(service_id=service.id, channel="sms", locale="fr", text=attack))
    db.session.flush()
    for path in (
        "/admin/",
        "/admin/services",
        f"/admin/services/{service.id}",
        f"/admin/services/{service.id}/history",
        "/admin/changes",
        "/admin/translations",
        "/admin/organizations",
        f"/admin/organizations/{service.organization_id}",
    ):
        html = admin.text(path)
        assert "<script>alert" not in html, path
        assert "<img src=x" not in html, path
        assert "&lt;script&gt;" in html, path


def test_html_stays_text_in_search_results(admin, make_service) -> None:
    make_service("<b>Gras</b>")
    html = admin.text("/admin/services?q=%3Cb%3E")
    assert "&lt;b&gt;Gras&lt;/b&gt;" in html
    assert "<b>Gras" not in html


def test_unknown_service_is_a_404(admin) -> None:
    assert admin.get("/admin/services/nope").status_code == 404


def test_status_change_is_seen_by_the_core(admin, make_service) -> None:
    service = make_service("Repas", hours=[(d, "00:00", "00:00") for d in range(7)])
    save(admin, service, status="temporarily_closed")
    assert service.status is ServiceStatus.TEMPORARILY_CLOSED
    now = datetime.now(ZoneInfo(TZ))
    assert not service_card(service, "fr", now, TZ).hours.open_now
    assert db.session.scalar(select(AuditEntry.action).order_by(AuditEntry.id.desc())) == (
        "service.update"
    )


def test_the_form_has_an_input_for_every_declared_field(admin, make_service) -> None:
    """The form is made from the declaration of a service's fields: none is left out."""
    from gateway.models.directory import (
        CLOSURE_FIELDS,
        PHONE_FIELDS,
        PLACE_FIELDS,
        SERVICE_FIELDS,
        TEXT_FIELDS,
    )

    html = admin.text(f"/admin/services/{make_service('Repas').id}")
    names = [*SERVICE_FIELDS, *(f"text-{loc}-{f}" for loc in ("fr", "ar") for f in TEXT_FIELDS),
             *(f"phone-0-{f}" for f in PHONE_FIELDS), *(f"place-0-{f}" for f in PLACE_FIELDS),
             *(f"closure-0-{f}" for f in CLOSURE_FIELDS if f != "message"),
             "closure-0-message-ar", "hours-6-1-opens", "hours-6-1-closes"]  # fmt: skip
    for name in names:
        assert f'name="{name}"' in html, name


def test_times_with_seconds_are_kept_as_they_are(admin, make_service) -> None:
    """An import may give 09:30:15; the form shows it so and saving keeps it, unchanged."""
    service = make_service("Repas", hours=[(0, "09:30:15", "12:00")])
    html = admin.text(f"/admin/services/{service.id}")
    assert 'value="09:30:15"' in html
    response = save(admin, service)
    assert response.status_code == 303
    assert "Nothing had changed" in admin.text(response.location)
    assert service.schedules[0].opens_at == time(9, 30, 15)


def test_weekdays_and_errors_in_the_interface_language(admin, client, make_service) -> None:
    service = make_service("Repas")
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    html = admin.text(f"/admin/services/{service.id}")
    assert "<legend>lundi</legend>" in html
    response = save(admin, service, **{"hours-0-0-opens": "midi", "hours-0-0-closes": "14:00"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'href="#hours-0-0-opens">lundi 1, ouverture' in html


def test_an_empty_status_is_open_and_an_unknown_one_an_error(admin, make_service) -> None:
    service = make_service("Repas", status=ServiceStatus.TEMPORARILY_CLOSED)
    assert save(admin, service, status="").status_code == 303
    assert service.status is ServiceStatus.ACTIVE
    response = save(admin, service, status="sometimes")
    assert response.status_code == 422
    assert "Choose whether the service is open." in response.get_data(as_text=True)


def test_a_form_save_keeps_what_the_feed_said_beyond_the_form(admin, make_service) -> None:
    service = make_service("Repas")
    service.hsds_extra = {"fees_description": "Gratuit", "x_data_inclusion": {"id": "di-1"}}
    db.session.flush()

    save(admin, service, url="https://repas.example")

    db.session.expire_all()
    assert service.url == "https://repas.example"
    assert service.hsds_extra == {
        "fees_description": "Gratuit",
        "x_data_inclusion": {"id": "di-1"},
    }


def test_the_history_shows_each_feed_field_that_an_import_changed(admin) -> None:
    record = {
        "id": "feed-service-1",
        "name": "Consultations",
        "description": "",
        "organization": {"id": "feed-org-1", "name": "Centre de santé"},
        "fees_description": "5 € la consultation",
        "alternate_name": "CMS",
    }
    import_services(db.session, [dict(record)], source="feed.json")
    import_services(db.session, [{**record, "fees_description": "Gratuit"}], source="feed.json")

    page = admin.text("/admin/services/feed-service-1/history")

    # Created with both, then changed in one: each entry names what it changed, old and new.
    assert page.count("fees_description (from the feed)") == 2
    assert page.count("alternate_name (from the feed)") == 1
    assert "<td>5 € la consultation</td><td>Gratuit</td>" in page
