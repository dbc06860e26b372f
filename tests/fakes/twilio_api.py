"""A local stand-in for Twilio's Messages REST API, for the real twilio client to talk to.

It speaks the wire format of ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``: HTTP
basic auth with the account SID and auth token, form fields ``To``, ``From``, ``Body``,
``StatusCallback``, a 201 with Twilio's JSON message resource, and Twilio's error JSON
(``{"code", "message", "more_info", "status"}``). ``GET`` on the same path lists the messages
it took, newest first, filtered by the query parameters ``To``, ``From``, ``DateSent``,
``DateSent>`` and ``DateSent<`` (a ``YYYY-MM-DD`` date or a ``YYYY-MM-DDTHH:MM:SSZ`` moment),
in Twilio's paged shape (``messages``, ``page``, ``page_size``, ``uri``, ``first_page_uri``,
``next_page_uri``, ``previous_page_uri``, ``start``, ``end``; ``PageSize``, ``Page`` and
``PageToken`` to page on). A message it took is listed as Twilio holds it seconds later: status
``sent``, dated. Failures are programmed per destination number and consumed in order; every
request is recorded so tests assert what Twilio received.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.fakes import gsm0338

API_VERSION = "2010-04-01"
_MESSAGES_PATH = re.compile(
    rf"^/{API_VERSION}/Accounts/(?P<account>AC[0-9a-f]{{32}})/Messages\.json$"
)
ERROR_MESSAGES = {
    20001: "Invalid parameter",
    20003: "Authenticate",
    20404: "The requested resource was not found",
    20429: "Too Many Requests",
    20500: "Internal Server Error",
    21211: "The 'To' number is not a valid phone number.",
    21604: "A 'To' phone number is required.",
    21610: "Attempt to send to unsubscribed recipient",
    21614: "'To' number is not a valid mobile number",
}


@dataclass(frozen=True)
class Reject:
    """Answer with Twilio's error JSON: ``code`` under HTTP ``status``."""

    code: int
    status: int = 400


# Close the connection without an answer; or hold it unanswered until the fake closes; or take
# the message (Twilio sends it) and then hold the answer back, as when the sender dies mid-send.
DROP: Literal["drop"] = "drop"
HANG: Literal["hang"] = "hang"
ACCEPT_THEN_HANG: Literal["accept-then-hang"] = "accept-then-hang"
# Take the message, then close the connection before answering (the answer is lost on the way).
ACCEPT_THEN_DROP: Literal["accept-then-drop"] = "accept-then-drop"
Outcome = Reject | Literal["drop", "hang", "accept-then-hang", "accept-then-drop"]
_ACCEPTING = (ACCEPT_THEN_HANG, ACCEPT_THEN_DROP)
DEFAULT_PAGE_SIZE = 50
TOO_MANY_REQUESTS = Reject(20429, 429)
SERVER_ERROR = Reject(20500, 500)


@dataclass(frozen=True)
class Received:
    """One request as Twilio would have seen it, and what the fake answered."""

    path: str
    form: dict[str, str]  # the form fields of a POST, the query parameters of a GET
    authorized: bool
    answer: str  # "201", "200", "400 21610", "drop", "hang"…
    method: str = "POST"


class FakeTwilioApi:
    """The server, started on 127.0.0.1 at a random port; use as a context manager."""

    def __init__(self, account_sid: str, auth_token: str, latency: float = 0.0) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        # Seconds between taking a message and answering 201, as over a slow network: a sender
        # that dies meanwhile never learns that Twilio has the message (see ``holding``).
        self.latency = latency
        self._holding = 0
        self.received: list[Received] = []
        self.created: list[dict[str, Any]] = []
        self.hanging = threading.Event()  # set once a request is being held
        self._release = threading.Event()
        self._programmed: dict[str, deque[Outcome]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def program(self, to: str, *outcomes: Outcome) -> None:
        """The next requests to ``to`` get these outcomes, in order, then 201s."""
        with self._lock:
            self._programmed[to].extend(outcomes)

    def posts(self) -> list[Received]:
        """The requests to create a message, whatever was answered."""
        with self._lock:
            return [request for request in self.received if request.method == "POST"]

    def sent_to(self, to: str) -> list[dict[str, Any]]:
        """Messages to ``to`` that Twilio accepted (answered 201)."""
        with self._lock:
            return [message for message in self.created if message["to"] == to]

    @property
    def holding(self) -> int:
        """Messages taken (in ``created``) whose 201 has not been answered yet."""
        with self._lock:
            return self._holding

    def _hold(self, change: int) -> None:
        with self._lock:
            self._holding += change

    def __enter__(self) -> FakeTwilioApi:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _next_outcome(self, to: str) -> Outcome | None:
        with self._lock:
            queue = self._programmed.get(to)
            return queue.popleft() if queue else None

    def _authorized(self, header: str | None, account: str) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return header == f"Basic {expected}" and account == self.account_sid

    def _record(self, received: Received, created: dict[str, Any] | None = None) -> None:
        with self._lock:
            self.received.append(received)
            if created is not None:
                self.created.append(created)

    def _message_resource(self, form: dict[str, str]) -> dict[str, Any]:
        sid = "SM" + secrets.token_hex(16)
        now = format_datetime(datetime.now(UTC))
        base = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}"
        return {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": form.get("Body", ""),
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": form.get("From"),
            "messaging_service_sid": None,
            "num_media": "0",
            "num_segments": str(gsm0338.segments(form.get("Body", ""))[2]),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued",
            "subresource_uris": {"media": f"{base}/Media.json"},
            "to": form["To"],
            "uri": f"{base}.json",
        }

    def listing(self, query: dict[str, str]) -> dict[str, Any] | None:
        """Twilio's page of the messages matching ``query``; None if a filter is malformed."""
        try:
            filters = [_date_filter(name, query[name]) for name in _DATE_FILTERS if name in query]
            page_size = int(query.get("PageSize", DEFAULT_PAGE_SIZE))
            page = int(query.get("Page", 0))
        except ValueError:
            return None
        with self._lock:
            held = [_as_sent(message) for message in self.created]
        matching = [
            message
            for message in sorted(held, key=lambda m: m["_sent"], reverse=True)
            if query.get("To", message["to"]) == message["to"]
            and query.get("From", message["from"]) == message["from"]
            and all(accepts(message["_sent"]) for accepts in filters)
        ]
        chunk = matching[page * page_size : (page + 1) * page_size]
        path = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages.json"
        kept = {name: value for name, value in query.items() if name not in _PAGING}

        def uri(number: int, token: str | None = None) -> str:
            paging = {"PageSize": page_size, "Page": number} | (
                {"PageToken": token} if token else {}
            )
            return f"{path}?{urlencode(kept | paging)}"

        more = len(matching) > (page + 1) * page_size
        return {
            "messages": [{k: v for k, v in m.items() if k != "_sent"} for m in chunk],
            "page": page,
            "page_size": page_size,
            "start": page * page_size,
            "end": page * page_size + max(len(chunk) - 1, 0),
            "uri": uri(page),
            "first_page_uri": uri(0),
            "next_page_uri": uri(page + 1, "PA" + chunk[-1]["sid"]) if more else None,
            "previous_page_uri": uri(page - 1) if page else None,
        }


_DATE_FILTERS = ("DateSent", "DateSent>", "DateSent<")
_PAGING = ("PageSize", "Page", "PageToken")


def _as_sent(message: dict[str, Any]) -> dict[str, Any]:
    """A message the fake took, as Twilio lists it once sent (``_sent``: its moment)."""
    sent = parsedate_to_datetime(message["date_created"])
    return message | {"status": "sent", "date_sent": message["date_created"], "_sent": sent}


def _date_filter(name: str, raw: str) -> Any:
    """A predicate on a sent moment for ``DateSent``, ``DateSent>`` or ``DateSent<``.

    A date compares with the day a message was sent (``>`` and ``<`` include it, as Twilio's
    ``>=``/``<=``); a moment compares with the moment.
    """
    if "T" in raw:
        moment = datetime.strptime(raw, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)

        def key(sent: datetime) -> Any:
            return sent.replace(microsecond=0)
    else:
        moment = date.fromisoformat(raw)  # type: ignore[assignment]

        def key(sent: datetime) -> Any:
            return sent.astimezone(UTC).date()

    if name == "DateSent>":
        return lambda sent: key(sent) >= moment
    if name == "DateSent<":
        return lambda sent: key(sent) <= moment
    return lambda sent: key(sent) == moment


def _error_body(code: int, status: int) -> dict[str, Any]:
    return {
        "code": code,
        "message": ERROR_MESSAGES.get(code, "Error"),
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def _handler_for(fake: FakeTwilioApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib's name
            """Quiet: tests read ``fake.received`` instead."""

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            form = {key: values[0] for key, values in parse_qs(raw).items()}
            match = _MESSAGES_PATH.match(self.path)
            authorized = bool(match) and fake._authorized(
                self.headers.get("Authorization"), match["account"] if match else ""
            )

            def record(answer: str, created: dict[str, Any] | None = None) -> None:
                fake._record(Received(self.path, form, authorized, answer), created)

            if not match:
                record("404")
                return self._answer(404, _error_body(20404, 404))
            if not authorized:
                record("401")
                return self._answer(401, _error_body(20003, 401))
            if not form.get("To"):
                record("400 21604")
                return self._answer(400, _error_body(21604, 400))
            outcome = fake._next_outcome(form["To"])
            if isinstance(outcome, Reject):
                record(f"{outcome.status} {outcome.code}")
                return self._answer(outcome.status, _error_body(outcome.code, outcome.status))
            if outcome is not None:
                record(outcome, fake._message_resource(form) if outcome in _ACCEPTING else None)
                if outcome in (HANG, ACCEPT_THEN_HANG):
                    fake.hanging.set()
                    fake._release.wait(timeout=60)
                self.close_connection = True
                return None
            resource = fake._message_resource(form)
            record("201", resource)
            if fake.latency:
                fake._hold(+1)
                time.sleep(fake.latency)
                fake._hold(-1)
            return self._answer(201, resource)

        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            url = urlsplit(self.path)
            query = {key: values[0] for key, values in parse_qs(url.query).items()}
            match = _MESSAGES_PATH.match(url.path)
            authorized = bool(match) and fake._authorized(
                self.headers.get("Authorization"), match["account"] if match else ""
            )

            def record(answer: str) -> None:
                fake._record(Received(url.path, query, authorized, answer, method="GET"))

            if not match:
                record("404")
                return self._answer(404, _error_body(20404, 404))
            if not authorized:
                record("401")
                return self._answer(401, _error_body(20003, 401))
            page = fake.listing(query)
            if page is None:
                record("400 20001")
                return self._answer(400, _error_body(20001, 400))
            record("200")
            return self._answer(200, page)

    return Handler
