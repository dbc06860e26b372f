"""The HSDS 3.0 API: the directory as Open Referral's read-only API, under ``/api/hsds/``.

Paths and parameters follow the official OpenAPI document
(``reference/hsds/3.0/schema/openapi.json``); records are the HSDS export's own
(:func:`gateway.directory.hsds.export_services`), so the API and the file export never
disagree and archived services are absent from both. A page is a few statements whatever the
directory's size: its ids are counted and picked in SQL (filters included), then only its
records are read, with the export's eager loading.

No Flask extension is used for CORS, ETags or compression: the API needs
``Access-Control-Allow-Origin: *`` on GET only, Werkzeug's ``add_etag``/``make_conditional``
already do 304s, and :mod:`gateway.compression` is the lite site's own.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Collection, Sequence
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, abort, jsonify, request
from flask_babel import force_locale
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from sqlalchemy import ColumnElement, Select, false, func, select

from gateway import clock
from gateway.compression import compress, negotiated_encoding
from gateway.config import ORIGINAL_LOCALE, SUPPORTED_LOCALES, settings
from gateway.db import db
from gateway.directory.hsds import TAXONOMY, export_organization, export_services, taxonomy_term
from gateway.models import (
    CATEGORY_SLUGS,
    Category,
    Location,
    Organization,
    Service,
    ServiceLocation,
)
from gateway.search.api import search

BASE = "/api/hsds"
PER_PAGE_DEFAULT = 50
PER_PAGE_MAX = 200
RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)", re.ASCII)

blueprint = Blueprint("opendata", __name__, url_prefix=BASE)


def init_app(app: Flask) -> None:
    """The API, limited per client address (``API_REQUESTS_PER_MINUTE``).

    Flask-Limiter counts in Redis when there is one, so every worker shares the count, else
    in this process; one count for the whole API. Only this blueprint has a limit: the
    webhooks and pages are never counted, and a Redis that fails lets the API answer rather
    than fail with it.
    """
    per_minute = settings(app).api_requests_per_minute
    if per_minute > 0:
        limiter = Limiter(
            get_remote_address,
            app=app,
            storage_uri=settings(app).redis_url or "memory://",
            key_prefix="guichet-api",
            headers_enabled=True,
            swallow_errors=True,
        )
        limiter.shared_limit(f"{per_minute} per minute", scope="hsds-api")(blueprint)
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
    """Any site may read the open data; a client that has a page already gets a 304, and
    one that takes gzip or brotli a compressed page (the ETag is the plain body's)."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.vary.update(("Accept-Encoding", "Accept-Language"))
    if response.status_code == 200:
        response.add_etag()
        response.make_conditional(request)
    if response.status_code == 200 and (encoding := negotiated_encoding()):
        response.set_data(compress(response.get_data(), encoding))
        response.headers["Content-Encoding"] = encoding
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


def _paging() -> tuple[int, int]:
    return _bounded_int("page", 1), _bounded_int("per_page", PER_PAGE_DEFAULT, PER_PAGE_MAX)


def _page(total: int, contents: Sequence[dict[str, Any]]) -> Response:
    """The official ``Page`` shape around ``contents``, one page of ``total`` items."""
    page, per_page = _paging()
    total_pages = max(1, math.ceil(total / per_page))
    return jsonify(
        {
            "total_items": total,
            "total_pages": total_pages,
            "page_number": page,
            "size": len(contents),
            "first_page": page == 1,
            "last_page": page >= total_pages,
            "empty": total == 0,
            "contents": list(contents),
        }
    )


def _paged(query: Select[str]) -> tuple[int, list[str]]:
    """How many ids ``query`` selects, and those of the asked page, in id order: two
    statements whatever the directory's size (the records are then read for one page)."""
    page, per_page = _paging()
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    ids = db.session.scalars(
        query.order_by(None)
        .order_by(*query.selected_columns)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return total, list(ids)


def _language() -> str:
    """The client's best ``Accept-Language`` among ours, else French (the city's own)."""
    return request.accept_languages.best_match(SUPPORTED_LOCALES) or ORIGINAL_LOCALE


def _records(ids: Collection[str]) -> dict[str, dict[str, Any]]:
    """The services ``ids`` as the export writes them, by id, their name and description in
    the client's language when a translation has them (every one stays in ``x_guichet``)."""
    language = _language()
    records = export_services(db.session, ids=ids)
    for record in records:
        texts = record["x_guichet"]["translations"].get(language, {})
        for field in ("name", "description"):
            if texts.get(field):
                record[field] = texts[field]
    return {record["id"]: record for record in records}


def _listed_services() -> Select[str]:
    """The ids of the services the query's filters keep: ``organization_id``,
    ``taxonomy_term_id``, ``modified_after``, ``postcode`` (archived ones never)."""
    query = select(Service.id).where(Service.archived_at.is_(None))
    if organization := request.args.get("organization_id"):
        query = query.where(Service.organization_id == organization)
    if (term := request.args.get("taxonomy_term_id")) is not None:
        slug = _TERM_SLUGS.get(term)
        query = query.where(Service.categories.any(Category.slug == slug) if slug else false())
    if (after := request.args.get("modified_after")) is not None:
        if not RFC3339.fullmatch(after):
            abort(400)
        try:
            moment = datetime.fromisoformat(after.upper())
        except ValueError:
            abort(400)
        query = query.where(Service.updated_at > moment)
    if postcode := request.args.get("postcode"):
        query = query.where(Service.locations.any(_at_postcode(postcode)))
    return query


def _at_postcode(postcode: str) -> ColumnElement[bool]:
    return ServiceLocation.location.has(Location.postcode == postcode)


def _searched() -> tuple[int, list[str]] | None:
    """With ``search``, the kept services the channels' own search finds, in its order
    (its best ``PER_PAGE_MAX``), paged; without, None."""
    text = request.args.get("search", "").strip()
    if not text:
        return None
    result = search(
        db.session,
        text,
        locale=_language(),
        at=clock.now(),
        timezone=settings().timezone,
        limit=PER_PAGE_MAX,
    )
    found = [hit.service_id for hit in result.hits]
    kept = set(db.session.scalars(_listed_services().where(Service.id.in_(found))))
    ids = [id for id in found if id in kept]
    page, per_page = _paging()
    return len(ids), ids[(page - 1) * per_page : page * per_page]


def _minimal(record: dict[str, Any]) -> dict[str, Any]:
    """A service's one-to-one fields only (the official ``service_list`` shape)."""
    return {k: v for k, v in record.items() if not isinstance(v, list | dict)}


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
        responses["429"] = {"description": "Too many requests from this address; see Retry-After."}
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
    total, ids = _searched() or _paged(_listed_services())
    records = _records(ids)
    found = [records[id] for id in ids if id in records]
    return _page(total, found if _flag("full") else [_minimal(s) for s in found])


@blueprint.get("/services/<service_id>")
def service(service_id: str) -> Response:
    record = _records([service_id]).get(service_id)
    if record is None:
        abort(404)
    return jsonify(record)


def _organizations() -> Select[str]:
    """The organisations of the services listed (an organisation with none is not)."""
    listed = Service.archived_at.is_(None)
    return select(Organization.id).where(
        Organization.archived_at.is_(None), Organization.services.any(listed)
    )


@blueprint.get("/organizations")
def organizations() -> Response:
    total, ids = _paged(_organizations())
    found = db.session.scalars(select(Organization).where(Organization.id.in_(ids)))
    by_id = {organization.id: export_organization(organization) for organization in found}
    return _page(total, [by_id[id] for id in ids])


@blueprint.get("/organizations/<organization_id>")
def organization(organization_id: str) -> Response:
    found = db.session.scalar(
        select(Organization).where(
            Organization.id.in_(_organizations()), Organization.id == organization_id
        )
    )
    if found is None:
        abort(404)
    return jsonify(export_organization(found))


def _terms() -> list[dict[str, str]]:
    with force_locale(_language()):
        return [taxonomy_term(slug) for slug in CATEGORY_SLUGS]


_TAXONOMY = {"id": TAXONOMY, "name": "Guichet", "description": "Guichet's service categories"}
with force_locale(ORIGINAL_LOCALE):
    _TERM_SLUGS = {taxonomy_term(slug)["id"]: slug for slug in CATEGORY_SLUGS}


@blueprint.get("/taxonomies")
def taxonomies() -> Response:
    return _page(1, [_TAXONOMY])


@blueprint.get("/taxonomies/<taxonomy_id>")
def taxonomy(taxonomy_id: str) -> Response:
    if taxonomy_id != TAXONOMY:
        abort(404)
    return jsonify(_TAXONOMY)


@blueprint.get("/taxonomy_terms")
def taxonomy_terms() -> Response:
    wanted = request.args.get("taxonomy_id")
    terms = [t for t in _terms() if wanted in (None, t["taxonomy"])]
    page, per_page = _paging()
    return _page(len(terms), terms[(page - 1) * per_page : page * per_page])


@blueprint.get("/taxonomy_terms/<term_id>")
def taxonomy_term_by_id(term_id: str) -> Response:
    for term in _terms():
        if term["id"] == term_id:
            return jsonify(term)
    abort(404)


def _links(ids: Sequence[str]) -> list[dict[str, Any]]:
    """The service-at-locations ``ids``, as the export writes them, each with its
    ``service_id``, in that order."""
    pairs = db.session.execute(
        select(ServiceLocation.id, ServiceLocation.service_id).where(ServiceLocation.id.in_(ids))
    ).all()
    records = _records({service_id for _id, service_id in pairs})
    by_id = {
        link["id"]: link | {"service_id": record["id"]}
        for record in records.values()
        for link in record["service_at_locations"]
    }
    return [by_id[id] for id in ids if id in by_id]


def _listed_links() -> Select[str]:
    query = select(ServiceLocation.id).where(ServiceLocation.service_id.in_(_listed_services()))
    if postcode := request.args.get("postcode"):
        query = query.where(_at_postcode(postcode))
    return query


@blueprint.get("/service_at_locations")
def service_at_locations() -> Response:
    total, ids = _paged(_listed_links())
    return _page(total, _links(ids))


@blueprint.get("/service_at_locations/<link_id>")
def service_at_location(link_id: str) -> Response:
    found = _links(list(db.session.scalars(_listed_links().where(ServiceLocation.id == link_id))))
    if not found:
        abort(404)
    return jsonify(found[0])
