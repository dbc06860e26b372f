"""Browser tests: the app served by a real server in a thread, driven by headless Chromium.

Shared by every web page of Guichet (the back office now, the lite site later):

- ``browser``: one Debian Chromium for the whole session (Playwright's sync API). When
  Chromium is missing the tests FAIL, they are never skipped: ``.ci/run`` installs it.
- ``live_server``: the app on a committed SQLite database, served by werkzeug on
  127.0.0.1 on a free port; ``live_server.session()`` reads or seeds that database.
- ``page``: a fresh browser context (no cookies) per test, French first like a resident's.
- ``assert_accessible(page)``: axe-core's WCAG 2.2 AA and best-practice rules, no violation.

Each test module marks its tests ``pytestmark = pytest.mark.browser``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy.orm import Session
from werkzeug.serving import WSGIRequestHandler, make_server

from gateway import create_app
from gateway.db import db
from tests.conftest import fresh_database_url, settings_for

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}
TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: the browser tests need Debian's "
            "chromium package (`apt-get install chromium`, as .ci/run does).",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@dataclass
class LiveServer:
    url: str
    app: Flask

    @contextmanager
    def session(self) -> Iterator[Session]:
        """The served database, in an app context of the served app; committed on exit."""
        with self.app.app_context():
            yield db.session
            db.session.commit()


@contextmanager
def serving(app: Flask) -> Iterator[LiveServer]:
    """``app`` served by a real HTTP server on a free loopback port, in a thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    url = fresh_database_url("sqlite", "browser", tmp_path_factory.mktemp("browser"))
    with serving(create_app(settings_for(url))) as server:
        yield server


@pytest.fixture
def page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    context = browser.new_context(
        # The back office in English, its second language; French is its default (checked in
        # tests/admin) and every page is checked with axe in both.
        base_url=live_server.url,
        locale="en-GB",
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture(scope="session")
def assert_accessible() -> Callable[[Page], None]:
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def check(page: Page) -> None:
        results = axe.run(page, options=AXE_OPTIONS)
        assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"

    return check
