"""The HSDS 3.0 API as a client sees it, on the demo city."""

from __future__ import annotations

import gzip
import json

import pytest

pytestmark = pytest.mark.backends("sqlite")

PAGE_KEYS = {"total_items", "total_pages", "page_number", "size", "first_page", "last_page"}


def test_services_are_paginated(demo_app) -> None:
    client = demo_app.test_client()
    everything = client.get("/api/hsds/services?per_page=200").json
    assert PAGE_KEYS <= everything.keys() and everything["total_items"] > 2
    first = client.get("/api/hsds/services?per_page=2").json
    second = client.get("/api/hsds/services?per_page=2&page=2").json
    assert first["size"] == 2 and first["first_page"] and not second["first_page"]
    assert [s["id"] for s in first["contents"] + second["contents"]] == [
        s["id"] for s in everything["contents"][:4]
    ]
    assert client.get("/api/hsds/services?per_page=two").status_code == 400
    assert client.get("/api/hsds/services?per_page=100000").json["size"] <= 200
    assert client.get("/api/hsds/services?page=0").json["page_number"] == 1


def test_one_service_and_its_organization(demo_app) -> None:
    client = demo_app.test_client()
    listed = client.get("/api/hsds/services").json["contents"][0]
    assert client.get(f"/api/hsds/services/{listed['id']}").json["id"] == listed["id"]
    assert client.get("/api/hsds/services/nope").status_code == 404
    organization = client.get(f"/api/hsds/organizations/{listed['organization_id']}").json
    assert organization["id"] == listed["organization_id"]
    filtered = client.get(
        f"/api/hsds/services?organization_id={listed['organization_id']}&per_page=200"
    ).json["contents"]
    assert filtered and {s["organization_id"] for s in filtered} == {listed["organization_id"]}


def test_cors_and_etag(demo_app) -> None:
    client = demo_app.test_client()
    response = client.get("/api/hsds/services")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    again = client.get("/api/hsds/services", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_a_client_that_takes_gzip_gets_the_same_page_compressed(demo_app) -> None:
    client = demo_app.test_client()
    plain = client.get("/api/hsds/services?full=true")
    zipped = client.get("/api/hsds/services?full=true", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert len(zipped.get_data()) < len(plain.get_data()) / 3
    assert json.loads(gzip.decompress(zipped.get_data())) == plain.json
    assert zipped.headers["ETag"] == plain.headers["ETag"]


def test_language_requested_else_french(demo_app) -> None:
    client = demo_app.test_client()
    french = client.get("/api/hsds/services?full=true&per_page=200").json["contents"]
    english = client.get(
        "/api/hsds/services?full=true&per_page=200", headers={"Accept-Language": "en"}
    ).json["contents"]
    translated = [
        (fr, en)
        for fr, en in zip(french, english, strict=True)
        if en["x_guichet"]["translations"].get("en", {}).get("name")
    ]
    assert translated, "the demo city has English names"
    fr, en = translated[0]
    assert en["name"] == en["x_guichet"]["translations"]["en"]["name"] != fr["name"]
    unknown = client.get(
        "/api/hsds/services?full=true&per_page=200", headers={"Accept-Language": "de"}
    ).json["contents"]
    assert [s["name"] for s in unknown] == [s["name"] for s in french]


def test_list_is_minimal_unless_full(demo_app) -> None:
    client = demo_app.test_client()
    minimal = client.get("/api/hsds/services").json["contents"][0]
    assert "phones" not in minimal and "x_guichet" not in minimal
    assert "phones" in client.get("/api/hsds/services?full=true").json["contents"][0]


def test_archived_service_is_absent(demo_app) -> None:
    from gateway import clock
    from gateway.db import db
    from gateway.models import Service

    client = demo_app.test_client()
    gone = client.get("/api/hsds/services").json["contents"][0]["id"]
    db.session.get(Service, gone).archived_at = clock.now()
    db.session.flush()
    ids = [s["id"] for s in client.get("/api/hsds/services?per_page=200").json["contents"]]
    assert gone not in ids
    assert client.get(f"/api/hsds/services/{gone}").status_code == 404


def test_search_uses_the_directory_search(demo_app) -> None:
    client = demo_app.test_client()
    found = client.get("/api/hsds/services?search=douche&full=true").json["contents"]
    assert found
    assert client.get("/api/hsds/services?search=zzqxv").json["empty"]


def test_taxonomy_terms_filter_services(demo_app) -> None:
    client = demo_app.test_client()
    terms = client.get("/api/hsds/taxonomy_terms?per_page=200").json["contents"]
    assert terms and client.get(f"/api/hsds/taxonomy_terms/{terms[0]['id']}").status_code == 200
    taxonomy = client.get("/api/hsds/taxonomies").json["contents"][0]["id"]
    assert client.get(f"/api/hsds/taxonomies/{taxonomy}").status_code == 200
    for term in terms:
        found = client.get(
            f"/api/hsds/services?taxonomy_term_id={term['id']}&full=true&per_page=200"
        ).json["contents"]
        for service in found:
            assert term["id"] in {a["taxonomy_term_id"] for a in service["attributes"]}


def test_service_at_locations_by_postcode(demo_app) -> None:
    client = demo_app.test_client()
    links = client.get("/api/hsds/service_at_locations?per_page=200").json["contents"]
    assert links
    one = links[0]
    assert client.get(f"/api/hsds/service_at_locations/{one['id']}").json["id"] == one["id"]
    postcode = one["location"]["addresses"][0]["postal_code"]
    near = client.get(f"/api/hsds/service_at_locations?postcode={postcode}&per_page=200").json
    assert near["contents"] and all(
        link["location"]["addresses"][0]["postal_code"] == postcode for link in near["contents"]
    )


def test_openapi_document_is_the_official_one_filled(demo_app) -> None:
    client = demo_app.test_client()
    document = client.get("/api/hsds/openapi.json").json
    assert document["servers"] == [{"url": "/api/hsds"}]
    assert (
        "REQUIRED" not in document["info"]["title"]
        and "x_guichet" in document["info"]["description"]
    )
    assert {"/services", "/organizations/{id}", "/service_at_locations"} <= document["paths"].keys()
    assert client.get("/api/hsds/").json["openapi_url"].endswith("/api/hsds/openapi.json")
