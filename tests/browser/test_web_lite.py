"""The lite site in real headless Chromium, on the demo city: search, browse, language, print.

Every page type is checked with axe-core (WCAG 2.2 AA) on a 240×320 phone and on a desktop;
the phone must never scroll sideways, even with text at 200 %. The demo city is served by a
server of this module's own (the shared ``live_server`` holds the back office's test data).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from gateway import create_app
from gateway.cli import DEMO_SERVICES, import_hsds_path
from tests.browser.conftest import TIMEOUT_MS, LiveServer, serving
from tests.conftest import fresh_database_url, settings_for

pytestmark = pytest.mark.browser

PHONE = {"width": 240, "height": 320}
DESKTOP = {"width": 1280, "height": 900}
CCAS = "b4275291-c04e-554f-9965-d67b3cd496e4"
PAGE_TYPES = (
    "/",
    "/category/food",
    "/category/food?area=les-tilleuls",
    "/search?q=douche",
    "/search?q=xqzvw",
    f"/service/{CCAS}",
    f"/service/{CCAS}?lang=ar",
    "/about-your-data",
    "/print/",
    "/print/category/food",
    "/print/district/la-gare",
    "/service/unknown",
)


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    url = fresh_database_url("sqlite", "browser_demo", tmp_path_factory.mktemp("browser_demo"))
    app = create_app(settings_for(url))
    with app.app_context():
        import_hsds_path(DEMO_SERVICES)
    with serving(app) as server:
        yield server


@pytest.fixture(params=[PHONE, DESKTOP], ids=["240x320", "desktop"])
def lite(
    browser: Browser, demo_server: LiveServer, request: pytest.FixtureRequest
) -> Iterator[Page]:
    context = browser.new_context(base_url=demo_server.url, locale="fr-FR", viewport=request.param)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width}px wide"


def test_every_page_type_is_accessible(lite: Page, assert_accessible: Callable) -> None:
    for path in PAGE_TYPES:
        lite.goto(path)
        assert lite.locator("html").get_attribute("lang") in {"fr", "ar"}
        assert_accessible(lite)
        no_sideways_scroll(lite)


def test_text_at_200_percent_still_fits(lite: Page) -> None:
    for path in ("/", f"/service/{CCAS}", "/category/food"):
        lite.goto(path)
        lite.evaluate("document.documentElement.style.fontSize = '200%'")
        no_sideways_scroll(lite)


def test_search_then_open_a_place(lite: Page, assert_accessible: Callable) -> None:
    lite.goto("/")
    lite.locator("#q").fill("douche")  # by id: the label is translated
    lite.keyboard.press("Enter")
    lite.wait_for_url("**/search?q=douche")
    first = lite.locator("main ul.list h2 a").first
    name = first.inner_text()
    first.click()
    expect(lite.locator("h1")).to_have_text(name)
    assert_accessible(lite)


def test_browse_a_category_near_a_district(lite: Page) -> None:
    lite.goto("/")
    lite.locator("a[href='/category/food']").click()
    expect(lite.locator("h1")).to_have_text("Alimentation")
    lite.locator("#area").select_option("les-tilleuls")
    lite.locator("main form button").click()
    lite.wait_for_url("**/category/food?area=les-tilleuls")
    expect(lite.locator("main h2").first).to_contain_text("Les Tilleuls")


def test_change_language_mirrors_the_page_and_is_remembered(lite: Page) -> None:
    lite.goto("/")
    lite.get_by_role("link", name="العربية").click()
    html = lite.locator("html")
    expect(html).to_have_attribute("dir", "rtl")
    expect(html).to_have_attribute("lang", "ar")
    heading = lite.locator("h1").bounding_box()
    width = lite.viewport_size["width"]
    assert heading is not None and heading["x"] + heading["width"] > width * 0.6  # right side
    lite.goto("/category/food")  # no ?lang: the cookie remembers
    expect(html).to_have_attribute("lang", "ar")


def test_keyboard_only_report(lite: Page) -> None:
    lite.goto(f"/service/{CCAS}?lang=en")  # English: the interface's own words
    lite.keyboard.press("Tab")
    skip = lite.locator(":focus")
    expect(skip).to_have_attribute("href", "#main")
    box = skip.bounding_box()
    assert box is not None and box["width"] > 10 and box["height"] > 10  # visible on focus
    lite.locator("#text").focus()
    lite.keyboard.type("Fermé depuis lundi")
    lite.keyboard.press("Tab")
    expect(lite.locator(":focus")).to_have_text("Send the report")
    lite.keyboard.press("Enter")
    expect(lite.locator("h1")).to_have_text("Thank you")


def test_print_view_is_a4_black_and_white(lite: Page) -> None:
    lite.goto("/print/category/food")
    lite.emulate_media(media="print")
    assert lite.locator("header.top").is_hidden() and lite.locator("footer").is_hidden()
    style = lite.evaluate(
        "(() => { const s = getComputedStyle(document.querySelector('.sheet'));"
        " return [s.fontSize, s.color, getComputedStyle(document.body).backgroundColor]; })()"
    )
    font_px = float(style[0].removesuffix("px"))
    assert font_px >= 20  # large type: 13pt × 1.2
    assert style[1] == "rgb(0, 0, 0)" and style[2] in {"rgba(0, 0, 0, 0)", "rgb(255, 255, 255)"}
    expect(lite.locator(".sheet h2").first).to_be_visible()
    pdf = lite.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
