"""The back office in a real browser: sign in, edit hours, close, translate, by keyboard too.

Each test seeds its own service on the served (committed) database, then checks through the
core that the change is there on the next request: the directory version moved and the
service's card, as every channel reads it, says the new thing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from channels.sms import adapter
from channels.sms.cli import local_sid
from gateway.admin import accounts
from gateway.db import db
from gateway.directory import operations
from gateway.directory.queries import directory_version, get_service, service_card
from gateway.models import ClosureReason, TextStatus, UserRole
from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"
EMAIL = "browser-admin@example.org"
TZ = "Europe/Paris"
LOGIN_URL = re.compile(r"/admin/login")


@pytest.fixture(scope="module", autouse=True)
def admin_account(live_server: LiveServer) -> Iterator[None]:
    with live_server.session() as session:
        if accounts.find_user(session, EMAIL) is None:
            data = accounts.AccountData(EMAIL, UserRole.ADMIN)
            accounts.create_user(session, "test", data, PASSWORD)
    yield


@pytest.fixture
def service_id(live_server: LiveServer, request: pytest.FixtureRequest) -> str:
    """A fresh service of a fresh organisation, named after the test."""
    own_word = "".join(ch for ch in request.node.name if ch.isalpha())
    with live_server.session() as session:
        organization = operations.create_organization(
            session, "test", operations.OrganizationData(name=f"Association {request.node.name}")
        )
        service = operations.create_service(
            session,
            "test",
            operations.ServiceData(
                organization_id=organization.id,
                # A word of its own in the name, so that an SMS search finds this one.
                texts={
                    "fr": operations.TextData(name=f"Repas {own_word}", summary="Repas le midi.")
                },
                categories=["food"],
                languages=["fr"],
                places=[operations.PlaceData(None, "Salle", "3 rue Neuve", "45100", "Val")],
            ),
        )
        return service.id


def log_in(page: Page, next_path: str = "/admin/") -> None:
    page.goto(next_path)
    expect(page).to_have_url(LOGIN_URL)
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).not_to_have_text("Sign in")


def card(live_server: LiveServer, service_id: str, locale: str = "fr", at: datetime | None = None):  # type: ignore[no-untyped-def]
    with live_server.session() as session:
        service = get_service(session, service_id)
        assert service is not None
        return service_card(service, locale, at or datetime.now(ZoneInfo(TZ)), TZ)


def version(live_server: LiveServer) -> int:
    with live_server.session() as session:
        return directory_version(session)


def test_log_in_and_out(page: Page) -> None:
    page.goto("/admin/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("We could not sign you in")
    expect(page.get_by_label("Email address")).to_have_value(EMAIL)
    log_in(page)
    expect(page.locator("h1")).to_have_text("What needs me")
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("h1")).to_have_text("Sign in")
    page.goto("/admin/")
    expect(page).to_have_url(LOGIN_URL)


def sms_details(live_server: LiveServer, service_id: str) -> str:
    """What a resident texting the service's own name, then "1", reads about it."""
    word = card(live_server, service_id).name.text.split()[-1]
    number = "+33639980" + str(abs(hash(word)) % 1000).zfill(3)
    with live_server.app.app_context():
        adapter.receive(adapter.message(local_sid("BR"), number, word))
        details = adapter.receive(adapter.message(local_sid("BR"), number, "1")).text
        db.session.commit()
    assert details is not None
    return details.text


def test_edit_hours(page: Page, live_server: LiveServer, service_id: str) -> None:
    before = version(live_server)
    hours = re.compile(r"09:00|9:00|14:00|19:00")
    assert not hours.search(sms_details(live_server, service_id))
    log_in(page, f"/admin/services/{service_id}")
    monday = page.get_by_role("group", name="Monday")
    monday.get_by_label("Opens").first.fill("9h")
    monday.get_by_label("Closes").first.fill("12:00")
    monday.get_by_label("Opens").nth(1).fill("14:00")
    monday.get_by_label("Closes").nth(1).fill("17h30")
    friday = page.get_by_role("group", name="Friday")
    friday.get_by_label("Opens").first.fill("19:00")
    friday.get_by_label("Closes").first.fill("08:00")
    page.get_by_role("button", name="Save changes").first.click()
    expect(page.get_by_role("status")).to_contain_text("Saved")
    expect(page.locator("#hours-0-1-closes")).to_have_value("17:30")

    assert version(live_server) > before
    weekly = card(live_server, service_id).weekly
    assert [(r.weekday, r.opens_at, r.closes_at) for r in weekly] == [
        (0, time(9), time(12)),
        (0, time(14), time(17, 30)),
        (4, time(19), time(8)),
    ]
    saturday_3am = datetime(2026, 12, 5, 3, 0, tzinfo=ZoneInfo(TZ))
    assert card(live_server, service_id, at=saturday_3am).hours.open_now  # Friday night runs on
    # Every channel shows it on the next request: the lite site and an SMS answer.
    page.goto(f"/service/{service_id}?lang=fr")
    expect(page.locator("main")).to_contain_text("17:30")
    assert hours.search(sms_details(live_server, service_id))


def test_add_a_closure(page: Page, live_server: LiveServer, service_id: str) -> None:
    log_in(page, f"/admin/services/{service_id}")
    new = page.get_by_role("group", name="Add a closure")
    new.get_by_label("First day").fill("2030-12-24")
    new.get_by_label("Last day").fill("2031-01-02")
    new.get_by_label("Reason").select_option("holiday")
    new.get_by_label("Message to residents, in French (optional)").fill("Fermé pour les fêtes.")
    page.get_by_role("button", name="Save changes").last.click()
    expect(page.get_by_role("status")).to_contain_text("Saved")
    expect(page.get_by_role("group", name="Closure 1")).to_be_visible()

    christmas = datetime(2030, 12, 25, 12, 0, tzinfo=ZoneInfo(TZ))
    status = card(live_server, service_id, at=christmas).hours
    assert status.closure is not None
    assert (status.closure.reason, status.closure.message) == (
        ClosureReason.HOLIDAY.value,
        {"fr": "Fermé pour les fêtes."},
    )


def test_translate_a_summary(page: Page, live_server: LiveServer, service_id: str) -> None:
    log_in(page, f"/admin/services/{service_id}")
    english = page.locator("#locale-en")
    english.locator("summary").click()
    expect(english.get_by_text("Repas le midi.")).to_be_visible()  # the French beside it
    english.get_by_label("Name (English)").fill("Hot meal")
    english.get_by_label("Summary (English)").fill("A hot meal at noon.")
    page.get_by_role("button", name="Save changes").first.click()
    expect(page.get_by_role("status")).to_contain_text("Saved")
    expect(page.locator("#text-en-summary-count")).to_contain_text("19 characters, 1 SMS")

    english_card = card(live_server, service_id, "en")
    assert (english_card.summary.text, english_card.summary.fallback) == (
        "A hot meal at noon.",
        False,
    )
    with live_server.session() as session:
        service = get_service(session, service_id)
        assert service is not None
        assert service.text_by_locale()["en"].status is TextStatus.DONE


def test_keyboard_only_completion_of_the_edit_form(
    page: Page, live_server: LiveServer, service_id: str
) -> None:
    log_in(page, f"/admin/services/{service_id}")
    page.locator("body").focus()

    def tab_to(selector: str, limit: int = 400) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate(
                "(sel) => document.activeElement && document.activeElement.matches(sel)", selector
            ):
                outline = page.evaluate(
                    "() => getComputedStyle(document.activeElement).outlineStyle"
                )
                assert outline != "none", f"no visible focus on {selector}"
                return
        raise AssertionError(f"Tab never reached {selector}")

    tab_to("#text-fr-summary")
    page.keyboard.press("End")
    page.keyboard.type(" Sans inscription.")
    tab_to("#locale-en > summary")
    page.keyboard.press("Enter")  # opens the English texts
    tab_to("#text-en-summary")
    page.keyboard.type("Hot meal at noon, no sign-up.")
    tab_to("#hours-2-0-opens")
    page.keyboard.type("10:00")
    page.keyboard.press("Tab")
    page.keyboard.type("16:00")
    tab_to("button[value=save]")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Saved")

    french, english = card(live_server, service_id), card(live_server, service_id, "en")
    assert french.summary.text == "Repas le midi. Sans inscription."
    assert english.summary.text == "Hot meal at noon, no sign-up."
    assert [(r.weekday, r.opens_at) for r in french.weekly] == [(2, time(10))]


def test_a_form_error_keeps_what_was_typed(page: Page, service_id: str) -> None:
    log_in(page, f"/admin/services/{service_id}")
    page.locator("#text-fr-name").fill("")
    page.locator("#text-fr-description").fill("Texte à ne pas perdre.")
    page.locator("#hours-3-0-opens").fill("midi")
    page.locator("#hours-3-0-closes").fill("14:00")
    page.get_by_role("button", name="Save changes").first.click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There are 2 problems to fix")
    expect(page.locator("#text-fr-description")).to_have_value("Texte à ne pas perdre.")
    expect(page.locator("#hours-3-0-opens")).to_have_value("midi")
    summary.get_by_role("link", name="Give the service a name in French.").click()
    expect(page.locator("#text-fr-name")).to_be_focused()


def test_admin_pages_have_no_accessibility_violations(
    page: Page, service_id: str, assert_accessible
) -> None:
    page.goto("/admin/login")
    assert_accessible(page)
    log_in(page)
    paths = (
        "/admin/",
        "/admin/services",
        f"/admin/services/{service_id}",
        f"/admin/services/{service_id}/history",
        "/admin/changes",
        "/admin/translations",
        "/admin/organizations",
        "/admin/users",
        "/admin/services/new",
    )
    for language in ("fr", "ar", "en"):  # ?lang= is remembered: each page in each language
        page.goto(f"/admin/?lang={language}")
        for path in paths:
            page.goto(path)
            expect(page.locator("html")).to_have_attribute("lang", language)
            assert_accessible(page)
    page.goto(f"/admin/services/{service_id}")
    page.locator("#locale-en > summary").click()
    page.locator("#text-fr-name").fill("")
    page.get_by_role("button", name="Save changes").first.click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page)  # the form showing its errors
    page.goto("/admin/?lang=ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("h1")).to_be_in_viewport()  # nothing pushes the page out of view
    assert_accessible(page)
