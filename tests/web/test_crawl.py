"""Every page of the demo city in every locale: found, small, script-free, valid, translated.

The crawl follows every internal link from the home page (plus the searches and district
filters a form would ask for) in each locale.

"No untranslated interface string" is checked twice:

* against the real catalogs: on a page not in English, no English msgid that its locale's
  catalog translates may show (a string rendered outside Babel, under the wrong locale, or
  cached from another language's page);
* by pseudo-localisation: with catalogs that translate every extracted msgid to ``⟦msgid⟧``,
  every letter on a page must be inside ``⟦…⟧`` or be directory content. This catches what the
  first check cannot: a hard-coded string that never reached a catalog at all. Missing
  entries in the real catalogs are tests/test_i18n.py's to report.
"""

from __future__ import annotations

import gzip
import re
import subprocess
import sys
from collections import deque
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask
from sqlalchemy import select

from channels.web.areas import districts
from gateway.config import SUPPORTED_LOCALES, settings
from gateway.db import db
from gateway.directory.listings import listings
from gateway.directory.queries import directory_snapshot, listed_services
from gateway.i18n import LANGUAGE_NAMES, TRANSLATIONS_DIR, text_direction
from gateway.models import Closure, Location, Organization, Service, ServiceText
from tests.conftest import _rolled_back_app
from tests.web.pages import Page, body_of, internal_links, nu_errors, parse, validate

pytestmark = pytest.mark.backends("postgresql")

BUDGET = 14 * 1024  # bytes of gzip-compressed HTML and CSS (the CSS is inlined)
SEARCHES = ("/search?q=", "/search?q=douche", "/search?q=xqzvw")
BIN = Path(sys.executable).parent


def crawl(app: Flask, locale: str) -> Iterator[tuple[str, Page, bytes]]:
    """Every page reachable in ``locale``: (path, parsed page, gzip-compressed body)."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_ENCODING"] = "gzip"
    assert client.get(f"/?lang={locale}").status_code == 200  # remembered from here on
    with app.app_context():
        known = districts(listings(directory_snapshot(db.session)))
    start = ["/", *SEARCHES, *(f"/category/food?area={d.slug}" for d in known)]
    start += [f"/category/food?area={code}" for d in known for code in d.postcodes]
    queue, seen = deque(start), set(start)
    while queue:
        path = queue.popleft()
        response = client.get(path)
        assert response.status_code == 200, f"{locale} {path}: {response.status_code}"
        page = parse(body_of(response))
        yield path, page, response.get_data()
        for link in internal_links(page, path):
            target = link.split("#")[0]
            if "lang=" in target:  # a language switch: that page is crawled in its locale
                target = re.sub(r"[?&]lang=\w+", "", target).replace("&", "?", 1)
            if target and target not in seen:
                seen.add(target)
                queue.append(target)


@pytest.fixture(scope="module")
def msgids(tmp_path_factory: pytest.TempPathFactory) -> list[str | tuple[str, str]]:
    """The interface strings of the code and templates, as ``make translations`` extracts
    them (a plural is its singular and plural msgids)."""
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(
        [BIN / "pybabel", "extract", "-F", TRANSLATIONS_DIR / "babel.cfg",
         "-k", "_l", "-k", "lazy_gettext", "-o", pot, "."],
        cwd=TRANSLATIONS_DIR.parents[1], check=True, capture_output=True,
    )  # fmt: skip
    with pot.open("rb") as f:
        return [m.id for m in read_po(f) if m.id]


def _literal_chunks(msgid: str) -> list[str]:
    """The parts of a msgid around its placeholders long enough to recognise on a page."""
    chunks = re.split(r"%\(\w+\)s|%s", msgid)
    return [c.strip(" .,:;") for c in chunks if len(re.findall(r"[A-Za-z]+", c)) >= 2]


def _translated_elsewhere(
    msgids: list[str | tuple[str, str]], locale: str
) -> list[tuple[str, list[str]]]:
    """English msgids the locale's catalog translates to something else, with their chunks."""
    with (TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f, locale=locale)
    wanted = {msgid if isinstance(msgid, str) else msgid[0] for msgid in msgids}
    found = []
    for message in catalog:
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        string = message.string if isinstance(message.string, str) else message.string[0]
        if msgid in wanted and string and string != msgid and _literal_chunks(msgid):
            found.append((msgid, _literal_chunks(msgid)))
    return found


def _page_type(path: str) -> str:
    """ "/service/<id>?original=1" → "/service?original": one of each kind is validated."""
    bare = re.sub(r"/[0-9a-f-]{36}|/[a-z0-9-]+$|=[^&]*", "", path)
    return bare or "/"


def test_every_page_in_every_locale(demo_app: Flask, msgids: list[str | tuple[str, str]]) -> None:
    """200, budget, no script, lang and dir, nothing left in English, and valid HTML: every
    page in Arabic (right to left), one page of each type in the other locales."""
    service_pages = 0
    checked: dict[str, str] = {}
    for locale in SUPPORTED_LOCALES:
        english = [] if locale == "en" else _translated_elsewhere(msgids, locale)
        validated: set[str] = set()
        for path, page, compressed in crawl(demo_app, locale):
            where = f"{locale} {path}"
            assert len(compressed) <= BUDGET, f"{where}: {len(compressed)} bytes compressed"
            assert gzip.decompress(compressed)  # it is gzip, as asked
            assert page.scripts == 0 and not page.event_handlers, where
            assert page.stylesheets == 0, f"{where}: the stylesheet is inlined"
            assert (page.lang, page.dir) == (locale, text_direction(locale)), where
            shown = page.visible_text
            for msgid, chunks in english:
                assert not all(chunk in shown for chunk in chunks), f"{where}: {msgid!r}"
            if locale == "ar" or _page_type(path) not in validated:
                validated.add(_page_type(path))
                assert validate(page.html) == [], where
                checked[where] = page.html
            service_pages += path.startswith("/service/")
    with demo_app.app_context():
        listed = len(listed_services(db.session))
    # Each service in six locales, and its French original from the five others.
    assert service_pages == listed * (6 + 5)
    assert nu_errors(checked) == []


# --------------------------------------------------------------------------------------------
# Pseudo-localisation
# --------------------------------------------------------------------------------------------

PSEUDO = re.compile(r"⟦[^⟦⟧]*⟧")


@pytest.fixture
def pseudo_app(demo_database_url: str, msgids: list[str], tmp_path: Path) -> Iterator[Flask]:
    """The demo city with catalogs that show every interface string as ``⟦msgid⟧``."""
    for locale in SUPPORTED_LOCALES:
        catalog = Catalog(locale=locale)
        for msgid in msgids:
            if isinstance(msgid, str):
                catalog.add(msgid, f"⟦{msgid}⟧")
            else:
                catalog.add(msgid, tuple(f"⟦{msgid[1]}⟧" for _ in range(catalog.num_plurals)))
        target = tmp_path / locale / "LC_MESSAGES"
        target.mkdir(parents=True)
        with (target / "messages.mo").open("wb") as f:
            write_mo(f, catalog)
    yield from _rolled_back_app(demo_database_url, BABEL_TRANSLATION_DIRECTORIES=str(tmp_path))


def _content(app: Flask) -> list[str]:
    """Every piece of directory content a page may show, longest first."""
    session = db.session
    found = {settings(app).city_name, "Guichet", *LANGUAGE_NAMES.values()}
    for text in session.scalars(select(ServiceText)):
        found.update(getattr(text, name) for name in ("name", "summary", "description",
                                                      "eligibility", "how_to_access"))  # fmt: skip
    found.update(session.scalars(select(Organization.name)))
    for location in session.scalars(select(Location)):
        found.update([location.name, location.address, location.district, location.city])
    for closure in session.scalars(select(Closure)):
        found.update(closure.message.values())
    for url, email in session.execute(select(Service.url, Service.email)):
        found.update([(url or "").split("://", 1)[-1].rstrip("/"), email or ""])
    return sorted((text for text in found if text), key=len, reverse=True)


def test_no_interface_string_bypasses_the_catalogs(pseudo_app: Flask) -> None:
    content = _content(pseudo_app)
    for locale in ("ar",):
        for path, page, _compressed in crawl(pseudo_app, locale):
            # The whole page at once: a sentence with a link in it spans several text nodes.
            rest = page.visible_text
            while PSEUDO.search(rest):
                rest = PSEUDO.sub(" ", rest)
            for known in content:
                rest = rest.replace(known, " ")
            stray = re.findall(r"\S*[^\W\d_]\S*", rest)
            assert not stray, f"{locale} {path}: not from a catalog: {stray}"
