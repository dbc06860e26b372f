"""What each page shows, on the demo city."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy import select

from channels.web.views import SHEET_PAGE_SIZE
from gateway.config import settings
from gateway.conversation.commands import Command, command_word
from gateway.conversation.profiles import profile_for
from gateway.db import db
from gateway.directory.describe import hours_phrase
from gateway.directory.listings import ranked_ids
from gateway.directory.queries import directory_snapshot, listed_services, service_card
from gateway.models import Feedback, SearchQuery, Service, ServiceStatus
from tests.conftest import MONDAY_10H
from tests.web.pages import body_of, parse

pytestmark = pytest.mark.backends("postgresql")

CCAS = "b4275291-c04e-554f-9965-d67b3cd496e4"  # Mon–Fri, closed at Christmas, checked 12 Oct
TEEN_CENTRE = "a80813d2-2485-52c7-8c30-84657f4d73af"  # has a number for text messages
ESCALE_SHOWERS = "3647b4bc-51ed-5d05-8666-515406aeec4b"  # temporarily closed
LISTENING_LINE = "dd469fa9-ec65-5a68-9863-eecdb1046946"  # no address


def test_home_has_search_categories_languages_and_numbers(demo_app: Flask, visit) -> None:
    page = visit("/")
    assert page.lang == "fr" and page.dir == "ltr"
    assert any(form.get("role") == "search" and form.get("method") == "get" for form in page.forms)
    assert "/category/food" in page.links and "/category/emergency" in page.links
    assert {f"/?lang={code}" for code in ("fr", "en", "ar", "es", "pt", "uk")} <= set(page.links)
    config = settings(demo_app)
    assert f"sms:{config.sms_number}" in page.links
    assert f"tel:{config.voice_number}" in page.links
    assert f"tel:{config.helpline_number}" in page.links
    assert "06 39 98 00 00" in page.visible_text  # as residents write a number


def test_category_lists_open_places_first(demo_app: Flask, visit) -> None:
    page = visit("/category/food")
    shown = [link.removeprefix("/service/") for link in page.links if link.startswith("/service/")]
    snapshot = directory_snapshot(db.session)
    ids = ranked_ids(snapshot, "food", "fr", MONDAY_10H, "Europe/Paris")
    assert shown == ids[: profile_for("web").page_size]
    cards = [service_card(snapshot.services[id], "fr", MONDAY_10H, "Europe/Paris") for id in ids]
    assert cards[0].hours.open_now
    with force_locale("fr"):
        assert hours_phrase(cards[0], MONDAY_10H) in page.visible_text
    assert "/print/category/food" in page.links


def test_category_filtered_by_district_or_postcode_puts_it_first(visit) -> None:
    page = visit("/category/food?area=les-tilleuls")
    assert "Dans Les Tilleuls" in page.visible_text or "In Les Tilleuls" in page.visible_text
    headings = re.findall(r"<h2>(.*?)</h2>", page.html)
    assert len(headings) == 2  # in the district, then elsewhere: nothing is hidden
    by_postcode = visit("/category/food?area=45130")
    assert "45130" in by_postcode.visible_text


def test_unknown_area_category_and_page_are_not_found(web: FlaskClient) -> None:
    assert web.get("/category/food?area=atlantis").status_code == 404
    assert web.get("/category/unicorns").status_code == 404
    assert web.get("/category/food?page=9").status_code == 404
    assert web.get("/service/nope").status_code == 404


def test_an_address_outside_the_site_gets_the_lite_page_in_the_residents_language(
    web: FlaskClient,
) -> None:
    response = web.get("/no/such/page", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    page = parse(body_of(response))
    assert "There is no page at this address." in page.visible_text
    assert '<html lang="en"' in page.html


def test_a_service_open_day_and_night_says_so_and_no_next_opening(visit) -> None:
    hospital_emergencies = "e9340cc6-1459-5152-976f-ee01eef196a8"
    text = visit(f"/service/{hospital_emergencies}?lang=en").visible_text
    assert "Open 24 hours" in text
    assert "Today: 24 hours" in text
    assert "Next opening" not in text
    assert "00:00" not in text


def test_service_page_has_every_detail(visit) -> None:
    page = visit(f"/service/{CCAS}")
    text = page.visible_text
    assert "Accueil social du CCAS" in text
    assert "Aujourd’hui" in text or "Today" in text  # today's hours
    assert "8 place de l'Hôtel-de-Ville" in text
    assert "tel:+33261910100" in page.links
    assert any(link.startswith("geo:") for link in page.links)
    assert any("openstreetmap.org" in link for link in page.links)
    assert "Fermé le jour de Noël." in text  # closures, in the social workers' words
    assert "12 octobre 2026" in text  # last verified
    assert any(form.get("method") == "post" for form in page.forms)


def test_service_page_offers_text_messages_where_a_number_takes_them(visit) -> None:
    page = visit(f"/service/{TEEN_CENTRE}")
    assert "sms:+33639980550" in page.links


def test_closed_and_addressless_services(visit) -> None:
    closed = visit(f"/service/{ESCALE_SHOWERS}")
    with force_locale("fr"):
        assert "Fermé temporairement" in closed.visible_text or "Temporarily closed" in (
            closed.visible_text
        )
    assert visit(f"/service/{LISTENING_LINE}").links  # renders without a place


def test_unlisted_service_is_not_found(web: FlaskClient) -> None:
    db.session.get(Service, CCAS).status = ServiceStatus.INACTIVE
    db.session.flush()
    assert web.get(f"/service/{CCAS}").status_code == 404


def test_translation_links_to_the_french_original(visit) -> None:
    english = visit(f"/service/{CCAS}?lang=en")
    assert "CCAS social welcome desk" in english.visible_text
    assert f"/service/{CCAS}?lang=en&original=1" in english.links
    original = visit(f"/service/{CCAS}?original=1")
    assert original.lang == "en"  # the interface stays in the resident's language
    assert "Accueil social du CCAS" in original.visible_text
    assert any(text.lang == "fr" for text in original.texts if "CCAS" in text.value)
    assert f"/service/{CCAS}" in original.links  # back to the translation


def test_fallback_content_is_marked_french(visit) -> None:
    arabic = visit(f"/service/{CCAS}?lang=ar")
    assert arabic.dir == "rtl"
    french = [t for t in arabic.texts if t.value.startswith("Le Centre communal")]
    assert french and french[0].lang == "fr"  # the description exists only in French
    assert f"/service/{CCAS}?lang=ar&original=1" in arabic.links


def test_search_shows_results_and_counts_the_question(visit) -> None:
    page = visit("/search?q=douche")
    assert any(link.startswith("/service/") for link in page.links)
    asked = db.session.scalars(select(SearchQuery).where(SearchQuery.channel == "web")).all()
    assert [(q.text, q.result_count > 0) for q in asked] == [("douche", True)]


def test_search_without_result_offers_the_helpline_and_categories(demo_app: Flask, visit) -> None:
    page = visit("/search?q=xqzvw")
    assert f"tel:{settings(demo_app).helpline_number}" in page.links
    assert "/category/food" in page.links
    assert not any(link.startswith("/service/") for link in page.links)


def test_empty_search_shows_the_form(visit) -> None:
    page = visit("/search?q=+")
    assert page.forms and not any(link.startswith("/service/") for link in page.links)


def _token(web: FlaskClient, service_id: str) -> str:
    html = body_of(web.get(f"/service/{service_id}"))
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


def test_report_creates_feedback_for_the_social_workers(web: FlaskClient) -> None:
    token = _token(web, CCAS)
    response = web.post(
        f"/service/{CCAS}/report", data={"csrf_token": token, "text": " Fermé ce matin "}
    )
    assert response.status_code == 303
    assert response.headers["Cache-Control"] == "no-store"
    reports = db.session.scalars(select(Feedback).where(Feedback.service_id == CCAS)).all()
    assert [(r.text, r.channel, r.locale, r.contact_id) for r in reports] == [
        ("Fermé ce matin", "web", "fr", None)
    ]
    thanks = web.get(response.headers["Location"])
    assert thanks.status_code == 200 and "CCAS" in body_of(thanks)


def test_a_report_keeps_no_number_or_address_typed_into_it(web: FlaskClient) -> None:
    text = "Fermé. Rappelez-moi au 06 98 76 54 32 ou zephyrine@boite-perso.net, ouvert 9h-12h"
    response = web.post(
        f"/service/{CCAS}/report", data={"csrf_token": _token(web, CCAS), "text": text}
    )
    assert response.status_code == 303
    [report] = db.session.scalars(select(Feedback).where(Feedback.channel == "web")).all()
    assert report.text == "Fermé. Rappelez-moi au [☎] ou [@], ouvert 9h-12h"


def test_report_needs_the_token_and_some_words(web: FlaskClient) -> None:
    refused = web.post(f"/service/{CCAS}/report", data={"text": "Fermé"})
    assert refused.status_code == 400
    assert db.session.scalars(select(Feedback).where(Feedback.channel == "web")).all() == []
    empty = web.post(f"/service/{CCAS}/report", data={"csrf_token": _token(web, CCAS), "text": ""})
    assert empty.status_code == 422
    assert 'aria-invalid="true"' in body_of(empty)


def test_about_your_data_says_what_the_code_does(
    demo_app: Flask, web: FlaskClient, change_settings
) -> None:
    change_settings(demo_app, retention_days=45, conversation_ttl_minutes=20)
    for locale in ("fr", "en", "uk"):
        page = parse(body_of(web.get(f"/about-your-data?lang={locale}")))
        text = page.visible_text
        assert "45" in text and "20" in text
        for command in (Command.OPT_OUT, Command.OPT_IN, Command.FORGET):
            assert command_word(command, locale) in text
    assert "OUBLI" in parse(body_of(web.get("/about-your-data?lang=fr"))).visible_text


def test_printable_sheets_per_category_and_district(visit) -> None:
    index = visit("/print/")
    assert "/print/category/food" in index.links and "/print/district/la-gare" in index.links
    sheet = visit("/print/district/la-gare")
    in_district = {
        service.id
        for service in listed_services(db.session)
        if any(link.location.district == "La Gare" for link in service.locations)
    }
    assert sheet.html.count("<h3") == len(in_district) > 0
    food = visit("/print/category/food")
    assert food.html.count("<h2") == len(
        ranked_ids(directory_snapshot(db.session), "food", "fr", MONDAY_10H, "Europe/Paris")
    )


def test_a_long_list_pages_as_the_engine_does(app: Flask, make_service) -> None:
    """Twenty places a page, the engine's; a page past the last is no page (a keypad would
    go round to the first)."""
    for n in range(22):
        make_service(f"Repas {n:02}", hours=[(0, "09:00", "12:00")])
    client = app.test_client()
    first = parse(body_of(client.get("/category/food")))
    assert len([link for link in first.links if link.startswith("/service/")]) == 20
    assert "/category/food?page=2" in first.links
    second = parse(body_of(client.get("/category/food?page=2")))
    assert len([link for link in second.links if link.startswith("/service/")]) == 2
    assert "/category/food?page=1" in second.links
    assert client.get("/category/food?page=3").status_code == 404
    assert client.get("/search?q=repas&page=2").status_code == 200
    assert client.get("/search?q=repas&page=3").status_code == 404


def test_a_long_sheet_prints_page_by_page_and_splits_by_district(app: Flask, make_service) -> None:
    """Thirty places a sheet's page, every place on one page; a category's sheet links to
    its district's sheet of that category, which holds that district's places alone."""
    for n in range(SHEET_PAGE_SIZE + 1):
        make_service(f"Repas {n:02}", district="Le Port" if n % 2 else "La Gare")
    make_service("Douches du port", categories=("hygiene",), district="Le Port")
    client = app.test_client()
    first = client.get("/print/category/food")
    second = client.get("/print/category/food?page=2")
    names = re.findall(r"<h2>(Repas \d+)</h2>", body_of(first) + body_of(second))
    assert sorted(names) == [f"Repas {n:02}" for n in range(SHEET_PAGE_SIZE + 1)]
    assert "/print/category/food?page=2" in parse(body_of(first)).links
    assert client.get("/print/category/food?page=3").status_code == 404
    assert "/print/district/le-port/food" in parse(body_of(first)).links
    port = body_of(client.get("/print/district/le-port/food"))
    assert len(re.findall(r"<h2>Repas \d+</h2>", port)) == (SHEET_PAGE_SIZE + 1) // 2
    assert "Douches du port" not in port
    district = parse(body_of(client.get("/print/district/le-port")))
    assert {"/print/district/le-port/food", "/print/district/le-port/hygiene"} <= set(
        district.links
    )
    assert client.get("/print/district/le-port/unicorns").status_code == 404
    assert client.get("/print/district/atlantis/food").status_code == 404
