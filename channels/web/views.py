"""The lite web site's pages: each reads the directory through the core and renders it.

Views are thin. The categories, a category's places and a search's are the conversation
engine's screens, the one menu tree SMS and voice answer with, each page a link to an action
(:func:`gateway.conversation.browse`); the core phrases (:mod:`gateway.directory.describe`);
a view picks what a page shows and :mod:`channels.web.render` turns it into a small,
cacheable response. The one write is a resident's report (a POST with the back office's CSRF
protection), which redirects so that a reload never sends it twice.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from itertools import groupby
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    abort,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, generate_csrf
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from channels.web import phrases, render
from channels.web.areas import District, districts, find_district
from gateway import clock
from gateway.config import settings
from gateway.contacts import local_form
from gateway.conversation import Action, Reply, Verb, browse
from gateway.conversation.commands import Command, clean, command_word
from gateway.conversation.state import ttl
from gateway.db import db
from gateway.directory import describe
from gateway.directory.categories import category_name
from gateway.directory.listings import Listings, listings, sheet_ids
from gateway.directory.operations import REPORT_MAX_CHARS, report_problem
from gateway.directory.queries import (
    Area,
    DirectorySnapshot,
    ServiceCard,
    ServiceFacts,
    directory_snapshot,
    find_area,
    service_card,
    snapshot_counts,
)
from gateway.errors import expired_form
from gateway.extensions import csrf
from gateway.i18n import LANGUAGE_NAMES, ORIGINAL_LOCALE, remember_choice, text_direction
from gateway.models import CATEGORY_SLUGS, Service

blueprint = Blueprint("web", __name__, template_folder="templates")

SERVICE_ID_MAX = 64  # the longest id a service may have (its column's length)
# Characters no keyboard types and PostgreSQL may not keep (NUL); tabs and new lines are words'.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Stands for the form token while the ETag is computed (see render.page).
TOKEN_SLOT = "csrf-token-slot"
# Places on one page of a printable sheet: at the longest a place can be (a 200-character
# name, a 140-character summary, an address, two phones, hours on every day), a page stays
# within the lite budget of 14.6 KB compressed; a long sheet is printed page by page.
SHEET_PAGE_SIZE = 30


def _locale() -> str:
    return str(get_locale() or settings().default_locale)


def _city_now() -> datetime:
    return clock.now().astimezone(ZoneInfo(settings().timezone))


def _directory() -> DirectorySnapshot:
    """The directory this request shows, read once for the whole page (one query when
    unchanged): its places, its lists, and the version that makes the page's ETag."""
    if "directory" not in g:
        g.directory = directory_snapshot(db.session)
    directory: DirectorySnapshot = g.directory
    return directory


def _listings() -> Listings:
    return listings(_directory())


def _page(template: str, *, status: int = 200, **context: Any) -> Response:
    return render.page(
        render_template(template, **context),
        version=_directory().version,
        locale=_locale(),
        status=status,
    )


def _screen(action: Action, area: Area | None = None) -> Reply:
    """The engine's screen for ``action``; 404 for an address that is no page: a link the
    engine does not understand, or a page past the last (a keypad goes round, an address
    does not)."""
    reply = browse(action, channel="web", locale=_locale(), at=clock.now(), area=area)
    if reply.hints.invalid_input or reply.hints.page != action.page + 1:
        abort(404)
    return reply


def _page_number() -> int:
    """The 0-based page ``?page=`` asks for (the address counts from 1); 404 before the first."""
    page = request.args.get("page", 1, type=int) or 1
    if page < 1:
        abort(404)
    return page - 1


def _places(reply: Reply) -> list[ServiceCard]:
    """The places a screen lists, in its order (none when it offers categories instead)."""
    return [choice.service for choice in reply.choices if choice.service is not None]


# Where each step of the menu tree is on the site: the page and the name of its argument.
_ADDRESSES: dict[Verb, tuple[str, str | None]] = {
    Verb.MENU: ("web.home", None),
    Verb.CATEGORY: ("web.category", "slug"),
    Verb.SEARCH: ("web.search_page", "q"),
    Verb.SERVICE: ("web.service", "service_id"),
}


def link(action: Action) -> str:
    """The address of a choice: on the web, every step of the menu tree is a link."""
    endpoint, name = _ADDRESSES[action.verb]
    args: dict[str, Any] = {name: action.arg} if name else {}
    if action.page:
        args["page"] = action.page + 1
    return url_for(endpoint, **args)


def _listed(service_id: str) -> ServiceFacts:
    """The service if residents may see it (the snapshot holds listed services only); 404 for
    unknown, archived or inactive ones, and for ids no service can have (too long, or with
    control characters)."""
    if len(service_id) > SERVICE_ID_MAX or _CONTROL.search(service_id):
        abort(404)
    facts = _directory().services.get(service_id)
    if facts is None:
        abort(404)
    return facts


# --------------------------------------------------------------------------------------------
# Every request: the remembered language (the security headers are the app's, gateway.security)
# --------------------------------------------------------------------------------------------


blueprint.after_request(remember_choice)


@blueprint.context_processor
def page_context() -> dict[str, Any]:
    locale = _locale()
    config = settings()
    return {
        "locale": locale,
        "direction": text_direction(locale),
        "languages": [(code, LANGUAGE_NAMES[code]) for code in config.locales],
        "lang_url": _url_with_lang,
        "url_with": _url_with,
        "link": link,
        "display_number": display_number,
        "city": config.city_name,
        "sms_number": config.sms_number,
        "voice_number": config.voice_number,
        "helpline": config.helpline_number,
        "stylesheet": render.stylesheet(),
        "text_direction": text_direction,
        "describe": describe,
        "category_name": category_name,
        "at": _city_now(),
        "today_hours": phrases.today_hours,
        "moment_phrase": phrases.moment_phrase,
        "closure_dates": phrases.closure_dates,
        "closure_note": phrases.closure_note,
        "long_date": phrases.long_date,
    }


def _url_with(**changes: Any) -> str:
    """This page's address with some query arguments changed (language, page)."""
    if request.endpoint is None:  # an address that matched no page: keep it as it is
        return request.path + "?" + urlencode({**request.args.to_dict(), **changes})
    args: dict[str, Any] = {**(request.view_args or {}), **request.args.to_dict(), **changes}
    return url_for(str(request.endpoint), **args)


def _url_with_lang(code: str) -> str:
    return _url_with(lang=code)


def display_number(number: str) -> str:
    """A number as people of the city write it (:func:`gateway.contacts.local_form`)."""
    return _local_form(number, settings().helpline_number)


# The directory's and the city's own numbers, never a resident's: a sheet shows sixty, and
# libphonenumber takes a millisecond to read one.
_local_form = lru_cache(maxsize=4096)(local_form)


@blueprint.app_errorhandler(404)
@blueprint.app_errorhandler(413)
def refused(error: HTTPException) -> Response:
    """The lite page for an unknown address or a request larger than the limits
    (``MAX_CONTENT_LENGTH``, ``MAX_FORM_PARTS``), not only on the site's own pages (the back
    office's 404 and the webhooks' own errors are answered by them)."""
    messages = {
        404: _("There is no page at this address."),
        413: _("This is more than this site accepts. Make it shorter and try again."),
    }
    status = error.code or 404
    context = {"status": status, "message": messages[status]}
    if request.blueprint != blueprint.name:  # the blueprint's context is not there by itself
        context.update(page_context())
    return _page("web/error.html", **context)


@blueprint.errorhandler(CSRFError)
def csrf_refused(error: CSRFError) -> Response:
    return render.not_stored(_page("web/error.html", status=400, message=expired_form()))


# --------------------------------------------------------------------------------------------
# Pages
# --------------------------------------------------------------------------------------------


@blueprint.get("/")
def home() -> Response:
    return _page(
        "web/home.html", menu=_screen(Action(Verb.MENU)), counts=snapshot_counts(_directory())
    )


@blueprint.get("/category/<slug>")
def category(slug: str) -> Response:
    known = districts(_listings())
    chosen = request.args.get("area", "")
    area = _area(known, chosen) if chosen else None
    reply = _screen(Action(Verb.CATEGORY, slug, _page_number()), area)
    places = _places(reply)
    return _page(
        "web/category.html",
        slug=slug,
        districts=known,
        postcodes=sorted({code for district in known for code in district.postcodes}),
        chosen=chosen,
        area=area,
        area_name=_area_name(known, chosen),
        reply=reply,
        places=places,
        inside_ids={
            card.id
            for card in places
            if area is not None and card.location is not None and area.contains(card.location)
        },
    )


def _area(known: Sequence[District], chosen: str) -> Area:
    """The area of a district slug or a postcode listed in the directory; 404 otherwise."""
    district = find_district(known, chosen)
    if district is not None:
        return find_area(db.session, district=district.name)
    if any(chosen in d.postcodes for d in known):
        return find_area(db.session, postcode=chosen)
    abort(404)


def _area_name(known: Sequence[District], chosen: str) -> str:
    district = find_district(known, chosen)
    return district.name if district is not None else chosen


@blueprint.get("/search")
def search_page() -> Response:
    text = clean(request.args.get("q", ""))
    if not text:
        return _page("web/search.html", query="")
    counts = snapshot_counts(_directory())  # before the commit, after which it would be read again
    reply = _screen(Action(Verb.SEARCH, text, _page_number()))
    db.session.commit()  # the question is counted, as on every channel
    return _page(
        "web/search.html",
        query=text,
        reply=reply,
        places=_places(reply),
        counts=counts,
    )


@blueprint.get("/service/<service_id>")
def service(service_id: str) -> Response:
    """A place in full, with the report form; ``?original=1`` shows the French texts."""
    facts = _listed(service_id)
    locale = _locale()
    original = request.args.get("original") == "1" and locale != ORIGINAL_LOCALE
    card = service_card(
        facts,
        ORIGINAL_LOCALE if original else locale,
        _city_now(),
        settings().timezone,
    )
    body = render_template("web/service.html", **_service_context(card, original), token=TOKEN_SLOT)
    token = generate_csrf()
    # The page is this visitor's while their session's token stands: same token, same ETag.
    raw = str(session.get("csrf_token", ""))
    return render.page(
        body,
        version=_directory().version,
        locale=locale,
        private=True,
        identity=hashlib.sha256(raw.encode()).hexdigest(),
        late={TOKEN_SLOT: token},
    )


def _service_context(card: ServiceCard, original: bool = False, error: str = "") -> dict[str, Any]:
    """What the service page shows beside the card: its website and e-mail address, which
    no other page or channel shows (so not in the snapshot: one small query), and the day
    its information was checked."""
    url, email = db.session.execute(
        select(Service.url, Service.email).where(Service.id == card.id)
    ).one()
    verified = card.verified_at
    tz = ZoneInfo(settings().timezone)
    return {
        "card": card,
        "original": original,
        "service_url": url,
        "service_email": email,
        "verified_on": verified.astimezone(tz).date() if verified is not None else None,
        "report_max": REPORT_MAX_CHARS,
        "error": error,
    }


@blueprint.post("/service/<service_id>/report")
def report(service_id: str) -> BaseResponse:
    """A resident says something is wrong: a report for the social workers' queue."""
    csrf.protect()
    facts = _listed(service_id)
    text = request.form.get("text", "")
    refusal = None
    if _CONTROL.search(text):
        refusal = 400, _("Remove the invisible characters from the text before sending.")
    elif not text.strip():
        refusal = 422, _("Write what is wrong before sending.")
    if refusal is not None:
        status, error = refusal
        card = service_card(facts, _locale(), _city_now(), settings().timezone)
        response = _page(
            "web/service.html",
            status=status,
            **_service_context(card, error=error),
            token=generate_csrf(),
        )
        return render.not_stored(response)
    report_problem(db.session, facts.id, text, channel="web", locale=_locale())
    db.session.commit()
    return render.not_stored(redirect(url_for("web.reported", service_id=facts.id), code=303))


@blueprint.get("/service/<service_id>/thanks")
def reported(service_id: str) -> Response:
    card = service_card(_listed(service_id), _locale(), _city_now(), settings().timezone)
    return render.not_stored(_page("web/reported.html", card=card))


@blueprint.get("/about-your-data")
def about_data() -> Response:
    locale = _locale()
    return _page(
        "web/about.html",
        retention_days=settings().retention_days,
        conversation_minutes=int(ttl().total_seconds() // 60),
        stop_word=command_word(Command.OPT_OUT, locale),
        start_word=command_word(Command.OPT_IN, locale),
        forget_word=command_word(Command.FORGET, locale),
    )


# --------------------------------------------------------------------------------------------
# Printable sheets: what social workers hand out, one per category and one per district
# --------------------------------------------------------------------------------------------


@blueprint.get("/print/")
def print_index() -> Response:
    counts = snapshot_counts(_directory())
    return _page(
        "web/print_index.html",
        categories=[(slug, counts[slug]) for slug in CATEGORY_SLUGS if counts[slug]],
        districts=districts(_listings()),
    )


@blueprint.get("/print/category/<slug>")
def print_category(slug: str) -> Response:
    """A category's places, by district then name, with its sheets per district."""
    if slug not in CATEGORY_SLUGS:
        abort(404)
    return _sheet(category=slug)


@blueprint.get("/print/district/<slug>")
def print_district(slug: str) -> Response:
    """A district's places grouped by their first category, in the taxonomy's order, with
    its sheets per category."""
    return _sheet(district=_sheet_district(slug))


@blueprint.get("/print/district/<slug>/<category>")
def print_district_category(slug: str, category: str) -> Response:
    """One category's places in one district: the sheet a neighbourhood's workers hand out
    when a whole category would run to many pages."""
    district = _sheet_district(slug)
    if category not in CATEGORY_SLUGS:
        abort(404)
    return _sheet(category=category, district=district)


def _sheet_district(slug: str) -> District:
    district = find_district(districts(_listings()), slug)
    if district is None:
        abort(404)
    return district


def _sheet(*, category: str | None = None, district: District | None = None) -> Response:
    """One page of a printable sheet (:data:`SHEET_PAGE_SIZE` places); 404 for an empty
    sheet or a page past the last."""
    locale, at = _locale(), _city_now()
    directory = _directory()
    groups = sheet_ids(
        directory, locale, category=category, district=district.name if district else None
    )
    places = [(slug, id) for slug, ids in groups for id in ids]
    page = _page_number()
    pages = math.ceil(len(places) / SHEET_PAGE_SIZE)
    if page >= pages:
        abort(404)
    area = Area(None, district.name, None, None) if district else None
    shown = places[page * SHEET_PAGE_SIZE : (page + 1) * SHEET_PAGE_SIZE]
    cards = [
        (slug, service_card(directory.services[id], locale, at, settings().timezone, area=area))
        for slug, id in shown
    ]
    headed = district is not None and category is None  # a district's: one heading a category
    return _page(
        "web/print.html",
        category=category,
        district=district,
        groups=[
            (category_name(slug) if headed else None, [card for _slug, card in group])
            for slug, group in groupby(cards, key=lambda pair: pair[0])
        ],
        pager={"page": page + 1, "pages": pages},
        others=_other_sheets(category, district),
        printed_on=at.date(),
    )


def _other_sheets(category: str | None, district: District | None) -> list[tuple[str, str, int]]:
    """The sheets that split this one, each as (address, name, places): a category's by
    district, a district's by category; none for a sheet of both."""
    if category is not None and district is not None:
        return []
    pairs = (
        [(category, place) for place in districts(_listings())]
        if category is not None
        else [(slug, district) for slug in CATEGORY_SLUGS if district is not None]
    )
    directory, locale = _directory(), _locale()
    found = []
    for slug, place in pairs:
        groups = sheet_ids(directory, locale, category=slug, district=place.name)
        count = sum(len(ids) for _slug, ids in groups)
        if count:
            name = place.name if category is not None else str(category_name(slug))
            link = url_for("web.print_district_category", slug=place.slug, category=slug)
            found.append((link, name, count))
    return found
