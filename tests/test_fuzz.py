"""No request to any route answers a 5xx: hostile paths, queries and forms, by Hypothesis.

Every rule of ``app.url_map`` is fuzzed, a new route too: its path segments, its query string
and, for a POST, its form hold hostile text (NUL, control characters, "²", "①", Arabic-Indic
digits, 65-character SIDs, CR/LF, markup, very long or empty strings). Twilio's webhooks are
posted with a valid signature over hostile values of Twilio's own fields
(:mod:`tests.fakes.twilio_webhooks`), the lite site's report form and the back office's login
with a valid form token, so that the request reaches the code behind the checks. The back
office's other pages are fuzzed as an anonymous visitor (a redirect to the login).

Bounded (``MAX_EXAMPLES`` per route, derandomized, no deadline) and on SQLite only, so that
it runs in seconds and the same way everywhere; PostgreSQL-only faults (NUL in text columns,
integer overflow) have their own tests beside each channel's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.routing import Rule

from gateway import create_app
from gateway.cli import DEMO_SERVICES, import_hsds_path
from tests.conftest import _rolled_back_app, db_engine_dispose, fresh_database_url, settings_for
from tests.fakes.twilio_api import FakeTwilioApi
from tests.fakes.twilio_webhooks import (
    inbound_sms_form,
    inbound_whatsapp_form,
    message_status_form,
    voice_call_form,
)
from tests.voice.conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    CITY_NUMBER,
    PUBLIC_BASE_URL,
    sign,
    voice_settings_for,
)

MAX_EXAMPLES = 50
CCAS = "b4275291-c04e-554f-9965-d67b3cd496e4"  # a listed service of the demo city
NASTY = [
    "",
    "\x00",
    "a\x00b",
    "\r\n",
    "x\r\nSet-Cookie: a=b",
    "²",
    "①",
    "٣٠",
    "-1",
    "0",
    "99999999999",
    "9" * 40,
    "1e9",
    " 7 ",
    "SM" + "0" * 63,
    "CA" + "0" * 31 + "\x00",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "%00",
    "%",
    "~",
    "fr",
    "#",
    "*",
    "menu",
    "language:en",
    "\u202e\u200b",
    "🙏" * 30,
    "x" * 2000,
]
hostile = st.one_of(st.sampled_from(NASTY), st.text(max_size=80))
# The query arguments our pages and webhooks read, and a few they do not.
QUERY_NAMES = [
    "q",
    "page",
    "area",
    "lang",
    "original",
    "next",
    "reply",
    "silence",
    "screen",
    "k",
    "do",
    "number",
    "x",
]
FUZZ = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _rules() -> list[Rule]:
    """Every route the app serves (an app built without a database, to read its map)."""
    app = create_app(settings_for("sqlite://"))
    return sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule)


RULES = _rules()
WEBHOOK_FORMS = {
    "sms.inbound": lambda: inbound_sms_form(
        "+33612345678",
        "manger",
        "SM" + "0123456789abcdef" * 2,
        to=CITY_NUMBER,
        account_sid=ACCOUNT_SID,
    ),
    "sms.status": lambda: message_status_form(
        "SM" + "0123456789abcdef" * 2,
        "delivered",
        to="+33612345678",
        sender=CITY_NUMBER,
        account_sid=ACCOUNT_SID,
        ErrorCode="30003",
    ),
    "whatsapp.inbound": lambda: inbound_whatsapp_form(
        "+33612345678",
        "manger",
        "SM" + "0123456789abcdef" * 2,
        to=CITY_NUMBER,
        account_sid=ACCOUNT_SID,
    ),
    "voice.inbound": lambda: voice_call_form(
        "CA" + "0123456789abcdef" * 2,
        "+33612345678",
        to=CITY_NUMBER,
        account_sid=ACCOUNT_SID,
        Digits="1",
        SpeechResult="manger",
    ),
    "voice.status": lambda: voice_call_form(
        "CA" + "0123456789abcdef" * 2,
        "anonymous",
        to=CITY_NUMBER,
        account_sid=ACCOUNT_SID,
        CallStatus="completed",
        CallDuration="42",
    ),
}
# Forms that need the session's token; the fields each one reads.
TOKEN_FORMS = {
    "web.report": ("/service/" + CCAS, ["text"]),
    "admin.login": ("/admin/login", ["email", "password", "next"]),
}
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The demo city on SQLite, on a Twilio account whose REST API is the local fake."""
    url = fresh_database_url("sqlite", "fuzz", Path(tmp_path_factory.mktemp("fuzz")))
    app = create_app(settings_for(url))
    with app.app_context():
        import_hsds_path(DEMO_SERVICES)
    db_engine_dispose(app)
    with FakeTwilioApi(ACCOUNT_SID, AUTH_TOKEN) as api:
        yield from _rolled_back_app(url, **voice_settings_for(api))


@pytest.fixture(scope="module")
def browser(fuzz_app: Flask) -> FlaskClient:
    return fuzz_app.test_client()


def _converters(rule: Rule) -> dict[str, str]:
    """Each argument of ``rule`` and its converter ("default", "int", "path")."""
    found = re.findall(r"<(?:(\w+):)?(\w+)>", rule.rule)
    return {name: converter or "default" for converter, name in found}


def _segment(rule: Rule, converter: str) -> st.SearchStrategy[str]:
    if converter == "int":
        return st.one_of(st.integers(min_value=0, max_value=2**70).map(str), hostile)
    if rule.endpoint.startswith("web.service") or rule.endpoint in {"web.report", "web.reported"}:
        return st.one_of(st.just(CCAS), hostile)
    return hostile


def _path(rule: Rule, values: dict[str, str]) -> str:
    converters = _converters(rule)

    def fill(match: re.Match[str]) -> str:
        name = match.group(2)
        return quote(values[name], safe="/" if converters[name] == "path" else "")

    return re.sub(r"<(?:(\w+):)?(\w+)>", fill, rule.rule)


def _token(client: FlaskClient, page: str) -> str:
    found = _TOKEN.search(client.get(page).get_data(as_text=True))
    assert found, page
    return found.group(1)


@st.composite
def requests(draw: st.DrawFn, rule: Rule) -> tuple[str, str, dict[str, str]]:
    """(method, path with its query, form) for one hostile request to ``rule``."""
    methods = sorted(rule.methods - {"HEAD", "OPTIONS"})  # type: ignore[operator]
    method = draw(st.sampled_from(methods))
    converters = _converters(rule)
    path = _path(rule, {name: draw(_segment(rule, kind)) for name, kind in converters.items()})
    query = draw(st.dictionaries(st.sampled_from(QUERY_NAMES), hostile, max_size=3))
    if query:
        path += "?" + urlencode(query)
    form: dict[str, str] = {}
    if method == "POST":
        base = WEBHOOK_FORMS.get(rule.endpoint, dict)()
        fields = [*base, *TOKEN_FORMS.get(rule.endpoint, ("", []))[1], "x"]
        form = {**base, **draw(st.dictionaries(st.sampled_from(fields), hostile, max_size=4))}
    return method, path, form


@pytest.mark.parametrize("rule", RULES, ids=[f"{r.endpoint}" for r in RULES])
def test_no_request_is_answered_with_a_5xx(fuzz_app: Flask, browser: FlaskClient, rule: Rule):
    token = None
    if rule.endpoint in TOKEN_FORMS:
        token = _token(browser, TOKEN_FORMS[rule.endpoint][0])

    @FUZZ
    @given(requests(rule))
    def answers(request: tuple[str, str, dict[str, str]]) -> None:
        method, path, form = request
        headers = {}
        if rule.endpoint in WEBHOOK_FORMS:
            headers["X-Twilio-Signature"] = sign(PUBLIC_BASE_URL + path, form)
        if token is not None:
            form = {**form, "csrf_token": token}
        response = browser.open(path, method=method, data=form, headers=headers)
        response.close()
        assert response.status_code < 500, (method, path, form, response.status_code)

    answers()


def test_the_forms_known_here_are_still_routes() -> None:
    """A renamed webhook or form would otherwise be fuzzed unsigned or without its token."""
    endpoints = {rule.endpoint for rule in RULES}
    assert set(WEBHOOK_FORMS) | set(TOKEN_FORMS) <= endpoints
    assert {"web.home", "health.healthz", "admin.login"} <= endpoints
