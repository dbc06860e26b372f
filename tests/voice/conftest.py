"""A phone that calls the voice menu as Twilio would, and checks every answer on the way.

:class:`Caller` posts Twilio's real form fields, signed with ``X-Twilio-Signature`` over the
public URL, to ``/voice``; presses keys by posting ``Digits`` to the ``<Gather>``'s action,
stays silent by following the ``<Redirect>``. Every TwiML answer is checked on arrival: under
64 KB, valid against the TwiML schema (Twilio's own, extended in ``twiml_modern.xsd``), and
every ``<Say>`` in a language with the voice configured for it.
"""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

import pytest
import xmlschema
from flask import Flask
from flask.testing import FlaskClient
from twilio.request_validator import RequestValidator

from channels.voice.settings import voice_settings
from gateway import create_app
from gateway.cli import DEMO_SERVICES, import_hsds_path
from tests.conftest import (
    TWIML_XSD,
    _rolled_back_app,
    db_engine_dispose,
    fresh_database_url,
    settings_for,
)
from tests.fakes.twilio_api import FakeTwilioApi
from tests.fakes.twilio_webhooks import voice_call_form

AUTH_TOKEN = "0123456789abcdef" * 2
ACCOUNT_SID = "AC" + "fedcba9876543210" * 2
PUBLIC_BASE_URL = "https://guichet.example.org"
CITY_NUMBER = "+33261910001"  # the number residents call
MAX_TWIML_BYTES = 64 * 1024
TZ = ZoneInfo("Europe/Paris")
SUNDAY_10H = datetime(2026, 11, 29, 10, 0, tzinfo=TZ)  # the helpline is closed (open at MONDAY_10H)
# Twilio's old schema is in tests/data/reference/twiml; ours overrides parts of it.
SCHEMA = Path(__file__).resolve().parent / "twiml_modern.xsd"


@pytest.fixture(scope="session")
def twilio_api() -> Iterator[FakeTwilioApi]:
    """Twilio's REST API on 127.0.0.1, for the SMS a caller asks for with "#"."""
    with FakeTwilioApi(ACCOUNT_SID, AUTH_TOKEN) as api:
        yield api


def voice_settings_for(api: FakeTwilioApi) -> dict[str, Any]:
    """A Twilio account (its token signs the webhooks), the public URL it calls, the helpline."""
    return {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": CITY_NUMBER,
        "TWILIO_API_BASE_URL": api.url,
        "TWILIO_MPS": 1000.0,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "HELPLINE_HOURS": "MO-FR 09:00-17:00",
    }


@pytest.fixture(scope="session")
def twiml_schema() -> xmlschema.XMLSchema11:
    assert TWIML_XSD.is_file(), f"Twilio's TwiML.xsd is expected at {TWIML_XSD}"
    return xmlschema.XMLSchema11(str(SCHEMA))


@pytest.fixture(scope="session")
def voice_database_url(
    backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> str:
    """The demo city; on SQLite, in a database of the voice tests' own.

    A webhook commits; on SQLite that commit outlives the test's rollback (pysqlite opens no
    transaction for the SAVEPOINT to sit in), so what calls write stays among these tests. On
    PostgreSQL it is rolled back with the test: the demo city every test shares will do.
    """
    if backend == "postgresql":
        return str(request.getfixturevalue("demo_database_url"))
    url = fresh_database_url(backend, "voice", tmp_path_factory.mktemp(backend))
    app = create_app(settings_for(url))
    with app.app_context():
        import_hsds_path(DEMO_SERVICES)
    db_engine_dispose(app)
    return url


@pytest.fixture
def voice_app(voice_database_url: str, twilio_api: FakeTwilioApi) -> Iterator[Flask]:
    """The demo city, on a Twilio account whose REST API is the local fake."""
    yield from _rolled_back_app(voice_database_url, **voice_settings_for(twilio_api))


def sign(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, params)


@dataclass(frozen=True)
class Said:
    text: str
    language: str | None
    voice: str | None


@dataclass
class Answer:
    """One TwiML document, read."""

    xml: str
    root: ET.Element

    @property
    def gather(self) -> ET.Element | None:
        return self.root.find("Gather")

    def says(self) -> list[Said]:
        return [
            Said("".join(say.itertext()), say.get("language"), say.get("voice"))
            for say in self.root.iter("Say")
        ]

    def text(self) -> str:
        """Everything said, one line each ("[play …]" for recordings)."""
        lines = []
        for element in self.root.iter():
            if element.tag == "Say":
                lines.append("".join(element.itertext()))
            elif element.tag == "Play":
                lines.append(f"[play {element.text}]")
        return "\n".join(lines)

    def verbs(self) -> list[str]:
        return [child.tag for child in self.root]


_call_ids = itertools.count(1)
_numbers = itertools.count(10_000_000)


def new_number() -> str:
    """A mobile number no other test has called from (their writes may outlive them)."""
    return f"+336{next(_numbers):08d}"


@dataclass
class Caller:
    """One phone call to the voice menu, from ``number`` (None: a hidden number)."""

    client: FlaskClient
    number: str | None
    call_sid: str = field(default_factory=lambda: f"CA{next(_call_ids):032x}")
    schema: xmlschema.XMLSchema11 | None = None
    answers: list[Answer] = field(default_factory=list)

    @property
    def last(self) -> Answer:
        return self.answers[-1]

    def form(self, **extra: str) -> dict[str, str]:
        caller = self.number or "anonymous"
        return voice_call_form(
            self.call_sid, caller, to=CITY_NUMBER, account_sid=ACCOUNT_SID, **extra
        )

    def post(self, path: str, params: dict[str, str], *, signature: str | None = None):  # type: ignore[no-untyped-def]
        url = urljoin(PUBLIC_BASE_URL + "/voice", path)
        split = urlsplit(url)
        local = split.path + (f"?{split.query}" if split.query else "")
        headers = {"X-Twilio-Signature": sign(url, params) if signature is None else signature}
        return self.client.post(local, data=params, headers=headers)

    def _answer(self, path: str, params: dict[str, str]) -> Answer:
        response = self.post(path, params)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.mimetype == "text/xml"
        body = response.get_data()
        assert len(body) < MAX_TWIML_BYTES, f"TwiML of {len(body)} bytes"
        answer = Answer(body.decode("utf-8"), ET.fromstring(body))
        check_answer(answer, self.schema)
        self.answers.append(answer)
        return answer

    def dial(self) -> Answer:
        """The call arrives."""
        return self._answer("/voice", self.form())

    def press(self, digits: str) -> Answer:
        gather = self.last.gather
        assert gather is not None, f"no <Gather> to press {digits!r} in:\n{self.last.xml}"
        return self.press_at(gather.get("action", ""), digits)

    def press_at(self, action: str, digits: str) -> Answer:
        """Press ``digits`` on the screen whose <Gather> posts to ``action``."""
        return self._answer(action, self.form(Digits=digits))

    def speak(self, words: str) -> Answer:
        gather = self.last.gather
        assert gather is not None and "speech" in (gather.get("input") or "")
        return self._answer(
            gather.get("action", ""), self.form(SpeechResult=words, Confidence="0.9")
        )

    def wait(self) -> Answer:
        """Say nothing until the <Gather> times out: Twilio follows the <Redirect>."""
        redirect = self.last.root.find("Redirect")
        assert redirect is not None, f"no <Redirect> after silence in:\n{self.last.xml}"
        return self._answer(redirect.text or "", self.form())


def check_answer(answer: Answer, schema: xmlschema.XMLSchema11 | None) -> None:
    """What every TwiML answer must be: valid, and every <Say> in a voice of its language."""
    if schema is not None:
        schema.validate(answer.xml)
    voices = {(v.language, v.name) for v in voice_settings().voices.values()}
    for said in answer.says():
        assert said.language, f"<Say> without a language: {said.text!r}"
        assert (said.language, said.voice) in voices, f"{said} is not a configured voice"
        assert said.text.strip(), "an empty <Say>"
    assert answer.root.tag == "Response"
    verbs = answer.verbs()
    # Never silence, never a dead end: each answer ends by listening, moving on or a goodbye.
    assert verbs and verbs[-1] in {"Redirect", "Hangup"}, f"answer ends so:\n{answer.xml}"
    if verbs[-1] == "Hangup":
        assert verbs[-2] in {"Say", "Play"}, "hung up without a word"


@pytest.fixture
def call(
    voice_app: Flask, twiml_schema: xmlschema.XMLSchema11, clock: Any
) -> Callable[..., Caller]:
    """Factory: a call from a new French mobile, from ``number``, or hidden with ``None``."""
    client = voice_app.test_client()

    def make(number: str | None | Literal["new"] = "new") -> Caller:
        return Caller(client, new_number() if number == "new" else number, schema=twiml_schema)

    return make
