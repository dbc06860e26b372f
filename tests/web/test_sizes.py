"""The lite site at a city's real size: what a page costs does not grow with the directory.

Synthetic directories (``bench/directory.py``'s services, imported as ``guichet import
hsds`` does) of 10 and 1,000 services: each page type issues the same few SQL statements at
both sizes (it reads the per-process snapshot, never a service per place shown), and every
page of every printable sheet stays within the lite budget, the places of a long sheet
spread over its pages with none lost.
"""

from __future__ import annotations

import contextlib
import gzip
import itertools
import random
from collections import deque
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from bench.directory import synthetic_services
from channels.web.areas import districts
from channels.web.views import SHEET_PAGE_SIZE
from gateway import create_app
from gateway.conversation.profiles import profile_for
from gateway.db import db
from gateway.directory.hsds import import_services
from gateway.directory.listings import listings
from gateway.directory.queries import directory_snapshot, snapshot_counts
from gateway.models import SUMMARY_MAX_CHARS, Phone
from tests.conftest import _rolled_back_app, db_engine_dispose, fresh_database_url, settings_for
from tests.web.pages import body_of, internal_links, parse

pytestmark = pytest.mark.backends("postgresql")

BUDGET = 14_600  # bytes of a page compressed: what TCP's first flight carries (10 × 1,460)
# Statements a page may issue at most, whatever the directory's size: the snapshot's version
# (read by the page, and by the engine for its screen), an area's centre, a service's
# website, a search counted; and here, the savepoint each request's transaction is in the
# test's (and its release).
MAX_STATEMENTS = 5
# An HSDS API page: its ids counted and picked, then its records with their collections (one
# statement each, the export's eager loading), in the same savepoint.
API_MAX_STATEMENTS = 16


def _directory_of(size: int, backend: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    url = fresh_database_url(backend, f"synthetic{size}", tmp_path_factory.mktemp(backend))
    app = create_app(settings_for(url))
    with app.app_context():
        import_services(db.session, synthetic_services(size), source="synthetic.json")
        db.session.commit()
    db_engine_dispose(app)
    return url


@pytest.fixture(scope="module")
def ten(backend: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    return _directory_of(10, backend, tmp_path_factory)


@pytest.fixture(scope="module")
def thousand(backend: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    return _directory_of(1000, backend, tmp_path_factory)


def _browser(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_ENCODING"] = "gzip"
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    return client


def _page_types(app: Flask) -> dict[str, str]:
    """An address of each page type on this directory: its largest category and district."""
    snapshot = directory_snapshot(db.session)
    found = listings(snapshot)
    counts = snapshot_counts(snapshot)
    category = max(counts, key=lambda slug: counts[slug])
    district = districts(found)[0]
    service = next(iter(snapshot.services))
    return {
        "home": "/",
        "category": f"/category/{category}",
        "category near": f"/category/{category}?area={district.slug}",
        "search": "/search?q=repas",
        "search, no result": "/search?q=xqzvw",
        "service": f"/service/{service}",
        "service, French original": f"/service/{service}?original=1&lang=en",
        "about your data": "/about-your-data",
        "print: index": "/print/",
        "print: category": f"/print/category/{category}",
        "print: district": f"/print/district/{district.slug}",
        "print: district and category": f"/print/district/{district.slug}/{category}",
    }


def _api_page_types(app: Flask) -> dict[str, str]:
    """An address of each HSDS API page type on this directory."""
    service = next(iter(directory_snapshot(db.session).services))
    return {
        "services": "/api/hsds/services?per_page=50",
        "services, full": "/api/hsds/services?per_page=50&full=true",
        "services of a postcode": "/api/hsds/services?postcode=45100",
        "services searched": "/api/hsds/services?search=repas",
        "a service": f"/api/hsds/services/{service}",
        "organizations": "/api/hsds/organizations",
        "service at locations": "/api/hsds/service_at_locations?per_page=50",
    }


def _statements(url: str, page_types: Callable[[Flask], dict[str, str]]) -> dict[str, int]:
    """SQL statements of each page type, once the process has read its snapshot."""
    with contextlib.contextmanager(_rolled_back_app)(url) as app:
        pages = page_types(app)
        client = _browser(app)
        for path in pages.values():  # the process's first read: the snapshot, the index
            assert client.get(path).status_code == 200, path
        seen: list[str] = []

        def count(*_args: object) -> None:
            seen.append("")

        event.listen(db.engine, "before_cursor_execute", count)
        counts = {}
        for name, path in pages.items():
            seen.clear()
            assert client.get(path).status_code == 200, path
            counts[name] = len(seen)
        event.remove(db.engine, "before_cursor_execute", count)
    return counts


def test_every_page_type_issues_as_few_statements_at_1000_services_as_at_10(
    ten: str, thousand: str
) -> None:
    small, large = _statements(ten, _page_types), _statements(thousand, _page_types)
    assert large == small
    assert max(large.values()) <= MAX_STATEMENTS, large


def test_an_api_page_reads_a_page_of_records_not_the_directory(ten: str, thousand: str) -> None:
    small, large = _statements(ten, _api_page_types), _statements(thousand, _api_page_types)
    assert large == small
    assert max(large.values()) <= API_MAX_STATEMENTS, large


def _sheet_pages(client: FlaskClient) -> Iterator[tuple[str, bytes]]:
    """Every page of every printable sheet reachable from the sheets' index, compressed."""
    queue, seen = deque(["/print/"]), {"/print/"}
    while queue:
        path = queue.popleft()
        response = client.get(path)
        assert response.status_code == 200, path
        yield path, response.get_data()
        for link in internal_links(parse(body_of(response)), path):
            if link.startswith("/print/") and "lang=" not in link and link not in seen:
                seen.add(link)
                queue.append(link)


def test_every_sheet_page_stays_within_the_budget_and_none_loses_a_place(
    thousand: str,
) -> None:
    with contextlib.contextmanager(_rolled_back_app)(thousand) as app:
        snapshot = directory_snapshot(db.session)
        found, counts = listings(snapshot), snapshot_counts(snapshot)
        client = _browser(app)
        shown: dict[tuple[str, str], int] = {}  # (sheet, page) -> places on it
        for path, compressed in _sheet_pages(client):
            assert len(compressed) <= BUDGET, f"{path}: {len(compressed)} bytes compressed"
            sheet, _, query = path.partition("?")
            page = query.removeprefix("page=") or "1"
            shown[sheet, page] = gzip.decompress(compressed).count(b"<li><h")
    places: dict[str, int] = {}
    for (sheet, _page), count in shown.items():
        places[sheet] = places.get(sheet, 0) + count
    assert any(page != "1" for _sheet, page in shown), "some sheets run to several pages"
    for slug, count in counts.items():
        if count:
            assert places[f"/print/category/{slug}"] == count, slug
    in_districts = sum(places[f"/print/district/{d.slug}"] for d in districts(found))
    assert in_districts == len(found.services)  # each in its district, under one category
    for d in districts(found):
        by_category = [
            n for sheet, n in places.items() if sheet.startswith(f"/print/district/{d.slug}/")
        ]
        assert sum(by_category) >= places[f"/print/district/{d.slug}"]


# --------------------------------------------------------------------------------------------
# The longest places a directory may hold
# --------------------------------------------------------------------------------------------


def _words(rng: random.Random, length: int) -> str:
    """Words made of random syllables, ``length`` characters: text gzip finds little to
    repeat in, as different services' names and summaries are."""
    syllables = [a + b for a in "bcdfglmnprstvz" for b in "aeiouy"]
    text = ""
    while len(text) < length:
        text += "".join(rng.choice(syllables) for _ in range(rng.randint(1, 4))) + " "
    return text[:length].strip().capitalize()


@pytest.fixture
def longest_places(app: Flask, make_service) -> list[str]:  # type: ignore[no-untyped-def]
    """A sheet's page of places, each as long as a place can be: a 200-character name, a
    full summary, a long district name, two phones, two openings every day."""
    rng = random.Random(20)
    hours = [(day, "08:15", "12:45") for day in range(7)]
    hours += [(day, "13:30", "19:45") for day in range(7)]
    ids = []
    for n in range(max(SHEET_PAGE_SIZE, profile_for("web").page_size)):
        service = make_service(
            _words(rng, 200),
            hours=hours,
            texts={"fr": {"summary": _words(rng, SUMMARY_MAX_CHARS)}},
            district=_words(rng, 60),
            postcode=f"45{n:03}",
            phones=[
                Phone(number=f"+3326191{n:04}", kind="voice"),
                Phone(number=f"+3363991{n:04}", kind="text"),
            ],
        )
        ids.append(service.id)
    return ids


def test_a_page_of_the_longest_places_stays_within_the_budget(
    app: Flask, longest_places: list[str]
) -> None:
    """In French, and in the scripts that take two bytes a letter (Arabic, Cyrillic)."""
    client = _browser(app)
    pages = {
        "/print/category/food": SHEET_PAGE_SIZE,
        "/category/food": profile_for("web").page_size,
    }
    for (page, places), locale in itertools.product(pages.items(), ("fr", "ar", "uk")):
        path = f"{page}?lang={locale}"
        response = client.get(path)
        assert response.status_code == 200, path
        assert body_of(response).count("<li><h") == places, path
        assert len(response.get_data()) <= BUDGET, f"{path}: {len(response.get_data())} bytes"
