"""The HSDS 3.0 API: the directory as Open Referral's read-only API, under ``/api/hsds/``.

Paths and parameters follow the official OpenAPI document
(``reference/hsds/3.0/schema/openapi.json``); records are the HSDS export's own
(:func:`gateway.directory.hsds.export_services`), so the API and the file export never
disagree and archived services are absent from both. The export loads a page's worth of
services with a fixed number of statements (its eager loading), never one per record.

No Flask extension is used for CORS or ETags: the API needs ``Access-Control-Allow-Origin: *``
on GET only, and Werkzeug's ``add_etag``/``make_conditional`` already do 304s.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, abort, jsonify, request
from flask_babel import force_locale

from gateway import clock
from gateway.config import ORIGINAL_LOCALE, SUPPORTED_LOCALES, settings
from gateway.db import db
from gateway.directory.hsds import TAXONOMY, _taxonomy_term, export_services
from gateway.models.directory import CATEGORY_SLUGS
from gateway.search.api import search

BASE = "/api/hsds"
PER_PAGE_DEFAULT = 50
PER_PAGE_MAX = 200
RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)", re.ASCII)

blueprint = Blueprint("opendata", __name__, url_prefix=BASE)


def init_app(app: Flask) -> None:
    app.register_blueprint(blueprint)


FLAGS = ("minimal", "full", "full_service", "top_only")  # the document's boolean parameters


@blueprint.before_request
def _flags_are_booleans() -> None:
    """``full=yes`` is refused (400) rather than read as false: the client meant something."""
    for name in FLAGS:
        if any(value not in ("true", "false") for value in request.args.getlist(name)):
            abort(400)


def _flag(name: str) -> bool:
    return request.args.get(name) == "true"


@blueprint.after_request
def _cacheable_and_shared(response: Response) -> Response:
    """Any site may read the open data; a client that has a page already gets a 304."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    if response.status_code == 200:
        response.add_etag()
        response.make_conditional(request)
    return response


def _bounded_int(name: str, default: int, upper: int | None = None) -> int:
    """A query integer brought within 1‥``upper``: the official document allows any integer,
    so a page 0 or a per_page of a million is answered (page 1, the largest page), not refused."""
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = max(1, int(raw))
    except ValueError:
        abort(400)
    return min(value, upper) if upper else value


def _page(items: Sequence[dict[str, Any]]) -> Response:
    """The official ``Page`` shape around one page of ``items``."""
    page = _bounded_int("page", 1)
    per_page = _bounded_int("per_page", PER_PAGE_DEFAULT, PER_PAGE_MAX)
    total_pages = max(1, math.ceil(len(items) / per_page))
    contents = list(items[(page - 1) * per_page : page * per_page])
    return jsonify(
        {
            "total_items": len(items),
            "total_pages": total_pages,
            "page_number": page,
            "size": len(contents),
            "first_page": page == 1,
            "last_page": page >= total_pages,
            "empty": not items,
            "contents": contents,
        }
    )


def _language() -> str:
    """The client's best ``Accept-Language`` among ours, else French (the city's own)."""
    return request.accept_languages.best_match(SUPPORTED_LOCALES) or ORIGINAL_LOCALE


def _services() -> list[dict[str, Any]]:
    """Every listed service, its name and description in the client's language when a
    translation has them (every translation stays in ``x_guichet``)."""
    language = _language()
    records = export_services(db.session)
    for record in records:
        texts = record["x_guichet"]["translations"].get(language, {})
        for field in ("name", "description"):
            if texts.get(field):
                record[field] = texts[field]
    return records


def _searched(services: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``search`` ranks with the channels' own search; without it, the export's order."""
    text = request.args.get("search", "").strip()
    if not text:
        return services
    result = search(
        db.session,
        text,
        locale=_language(),
        at=clock.now(),
        timezone=settings().timezone,
        limit=PER_PAGE_MAX,
    )
    by_id = {s["id"]: s for s in services}
    return [by_id[hit.service_id] for hit in result.hits if hit.service_id in by_id]


def _filtered(services: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Services kept by ``organization_id``, ``taxonomy_term_id`` and ``modified_after``."""
    keep: list[Callable[[dict[str, Any]], bool]] = []
    if organization := request.args.get("organization_id"):
        keep.append(lambda s: s["organization_id"] == organization)
    if term := request.args.get("taxonomy_term_id"):
        keep.append(lambda s: any(a["taxonomy_term_id"] == term for a in s["attributes"]))
    if (after := request.args.get("modified_after")) is not None:
        if not RFC3339.fullmatch(after):
            abort(400)
        try:
            moment = datetime.fromisoformat(after.upper())
        except ValueError:
            abort(400)
        keep.append(lambda s: "last_modified" in s and _after(s["last_modified"], moment))
    if postcode := request.args.get("postcode"):
        keep.append(
            lambda s: any(_postcode(link) == postcode for link in s["service_at_locations"])
        )
    return [s for s in _searched(services) if all(test(s) for test in keep)]


def _postcode(link: dict[str, Any]) -> str | None:
    addresses = link["location"].get("addresses") or [{}]
    return addresses[0].get("postal_code")


def _minimal(record: dict[str, Any]) -> dict[str, Any]:
    """A service's one-to-one fields only (the official ``service_list`` shape)."""
    return {k: v for k, v in record.items() if not isinstance(v, list | dict)}


def _after(stamp: str, moment: datetime) -> bool:
    value = datetime.fromisoformat(stamp)
    if (value.tzinfo is None) != (moment.tzinfo is None):
        value, moment = value.replace(tzinfo=None), moment.replace(tzinfo=None)
    return value > moment


@cache
def _openapi() -> dict[str, Any]:
    """The official HSDS 3.0 OpenAPI document (a copy, see ``openapi.json``'s source in
    docs/api.md) with its placeholder ``info`` filled and ``servers`` at this base path."""
    document = json.loads((Path(__file__).with_name("openapi.json")).read_text("utf-8"))
    document["info"] = {
        "title": "Guichet HSDS API",
        "version": "1.0",
        "summary": "The city's social-services directory as Open Referral HSDS 3.0",
        "description": (
            "Read-only HSDS 3.0 API. Each service carries the Guichet extension `x_guichet`: "
            "`translations` (every language's texts), `access`, `closures`, `verified_at`. "
            "Name and description follow Accept-Language, else French."
        ),
        "license": {"name": "ODbL-1.0", "identifier": "ODbL-1.0"},
    }
    document["servers"] = [{"url": BASE}]
    # The official document says "datetime", a format no validator knows: RFC 3339 is meant.
    document["components"]["parameters"]["modified_after"]["schema"]["format"] = "date-time"
    # What the official document leaves out and this API answers: unknown ids, bad numbers.
    for path, operations in document["paths"].items():
        responses = operations["get"]["responses"]
        if "{id}" in path:
            responses["404"] = {"description": "No such record (or an archived service)."}
        if operations["get"].get("parameters"):
            responses["400"] = {"description": "A number, flag or date that is not one."}
    return document


@blueprint.get("/")
def meta() -> Response:
    return jsonify(
        {
            "version": "3.0",
            "profile": "https://docs.openreferral.org/en/3.0/",
            "openapi_url": request.url_root.rstrip("/") + BASE + "/openapi.json",
        }
    )


@blueprint.get("/openapi.json")
def openapi() -> Response:
    return jsonify(_openapi())


@blueprint.get("/services")
def services() -> Response:
    found = _filtered(_services())
    return _page(found if _flag("full") else [_minimal(s) for s in found])


@blueprint.get("/services/<service_id>")
def service(service_id: str) -> Response:
    for record in _services():
        if record["id"] == service_id:
            return jsonify(record)
    abort(404)


def _organizations() -> list[dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for record in _services():
        found.setdefault(record["organization_id"], record["organization"])
    return sorted(found.values(), key=lambda o: o["id"])


@blueprint.get("/organizations")
def organizations() -> Response:
    return _page(_organizations())


@blueprint.get("/organizations/<organization_id>")
def organization(organization_id: str) -> Response:
    for record in _organizations():
        if record["id"] == organization_id:
            return jsonify(record)
    abort(404)


def _terms() -> list[dict[str, str]]:
    with force_locale(_language()):
        return [_taxonomy_term(slug) for slug in CATEGORY_SLUGS]


_TAXONOMY = {"id": TAXONOMY, "name": "Guichet", "description": "Guichet's service categories"}


@blueprint.get("/taxonomies")
def taxonomies() -> Response:
    return _page([_TAXONOMY])


@blueprint.get("/taxonomies/<taxonomy_id>")
def taxonomy(taxonomy_id: str) -> Response:
    if taxonomy_id != TAXONOMY:
        abort(404)
    return jsonify(_TAXONOMY)


@blueprint.get("/taxonomy_terms")
def taxonomy_terms() -> Response:
    wanted = request.args.get("taxonomy_id")
    return _page([t for t in _terms() if wanted in (None, t["taxonomy"])])


@blueprint.get("/taxonomy_terms/<term_id>")
def taxonomy_term(term_id: str) -> Response:
    for term in _terms():
        if term["id"] == term_id:
            return jsonify(term)
    abort(404)


def _service_at_locations() -> list[dict[str, Any]]:
    postcode = request.args.get("postcode")
    return [
        link | {"service_id": record["id"]}
        for record in _filtered(_services())
        for link in record["service_at_locations"]
        if postcode in (None, _postcode(link))
    ]


@blueprint.get("/service_at_locations")
def service_at_locations() -> Response:
    return _page(_service_at_locations())


@blueprint.get("/service_at_locations/<link_id>")
def service_at_location(link_id: str) -> Response:
    for link in _service_at_locations():
        if link["id"] == link_id:
            return jsonify(link)
    abort(404)
