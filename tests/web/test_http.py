"""What a page costs on the wire: compression, revalidation, language choice, no script."""

from __future__ import annotations

import gzip

import brotli
import pytest
from flask.testing import FlaskClient

from gateway.db import db
from gateway.directory.operations import bump_directory_version
from tests.web.pages import body_of, parse
from tests.web.test_pages import CCAS

pytestmark = pytest.mark.backends("postgresql")


def test_gzip_brotli_or_plain_as_the_browser_asks(web: FlaskClient) -> None:
    plain = web.get("/", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    html = plain.get_data(as_text=True)
    zipped = web.get("/", headers={"Accept-Encoding": "gzip, deflate"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.get_data()).decode() == html
    squeezed = web.get("/", headers={"Accept-Encoding": "gzip, br"})
    assert squeezed.headers["Content-Encoding"] == "br"
    assert brotli.decompress(squeezed.get_data()).decode() == html
    assert len(squeezed.get_data()) < len(zipped.get_data()) < len(html) / 2
    assert "Accept-Encoding" in zipped.headers["Vary"]


def test_a_revisit_costs_a_304(web: FlaskClient) -> None:
    first = web.get("/category/food")
    etag = first.headers["ETag"]
    assert etag.startswith('W/"') and first.headers["Cache-Control"] == "no-cache"
    again = web.get("/category/food", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == etag


def test_the_etag_follows_the_directory_version_and_the_locale(web: FlaskClient) -> None:
    etag = web.get("/").headers["ETag"]
    assert web.get("/?lang=en").headers["ETag"] != etag
    bump_directory_version(db.session, ())
    db.session.flush()
    assert web.get("/?lang=fr", headers={"If-None-Match": etag}).status_code == 200


def test_service_page_is_private_yet_revalidates_with_the_same_session(web: FlaskClient) -> None:
    first = web.get(f"/service/{CCAS}")
    assert first.headers["Cache-Control"] == "private, no-cache"
    again = web.get(f"/service/{CCAS}", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    stranger = web.application.test_client()
    fresh = stranger.get(f"/service/{CCAS}", headers={"If-None-Match": first.headers["ETag"]})
    assert fresh.status_code == 200  # another visitor's page holds another form token


def test_no_script_may_run(web: FlaskClient) -> None:
    response = web.get("/")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert "style-src 'sha256-" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    page = parse(body_of(response))
    assert page.scripts == 0 and page.event_handlers == [] and page.stylesheets == 0


def test_language_from_the_link_then_remembered(web: FlaskClient) -> None:
    chosen = web.get("/?lang=ar")
    assert "lang=ar" in chosen.headers["Set-Cookie"]
    assert "HttpOnly" in chosen.headers["Set-Cookie"]
    page = parse(body_of(chosen))
    assert (page.lang, page.dir) == ("ar", "rtl")
    remembered = parse(body_of(web.get("/category/food")))
    assert (remembered.lang, remembered.dir) == ("ar", "rtl")


def test_language_from_the_browser(web: FlaskClient) -> None:
    page = parse(body_of(web.get("/", headers={"Accept-Language": "uk-UA,uk;q=0.9,en;q=0.5"})))
    assert (page.lang, page.dir) == ("uk", "ltr")
    assert "Set-Cookie" not in web.get("/").headers  # nothing to remember: nobody chose


def test_language_links_keep_the_page(web: FlaskClient) -> None:
    page = parse(body_of(web.get("/category/food?area=la-gare")))
    assert "/category/food?area=la-gare&lang=es" in page.links
