"""What answering a text costs: the SMS webhook against a bare Flask endpoint, and segments.

Starts Guichet under gunicorn (2 sync workers, ``wsgi:app`` as the Procfile does) on the demo
city, and in the same run a bare Flask endpoint under gunicorn (2 sync workers) that parses
the form and returns a fixed TwiML message. Both are driven on 127.0.0.1 by the same client:
``--clients`` processes (2 by default, one per worker), each with one request in flight,
posting Twilio's real inbound fields signed with ``X-Twilio-Signature``, from many numbers.
Each number walks a short conversation (a question, a pick, more, help…) message after
message before the next number starts, so every stretch of a run has the same mix of
questions, picks and menus, however fast the target answers. Every request is a new message
(its own MessageSid), so Guichet stores it, runs the engine, renders, stores the reply and
commits.

Beside them runs the floor: a bare Flask endpoint that does only what the issue asks of every
message before anything else (store it, commit) and after (store the answer, commit), on the
database driver alone with one connection per worker, no lookup and no engine. No
implementation that keeps those two rules can beat its floor's ratio on the same host.

The database is a temporary SQLite file (WAL, as the app configures it), PostgreSQL (a
temporary schema on ``BENCH_DATABASE_URL``, default the tests' server), or both (the default).
The daily segment cap is lifted and the rate limit is far away, so every message is answered.

Prints requests/s (those answered with HTTP 200; errors are counted apart), p50 and p99 for
each, the ratio of each target's throughput to bare Flask's, Guichet's share of its floor's
throughput and PASS/FAIL against the targets (≥ 0.5 of the floor, p99 ≤ 50 ms, no errors),
then the average segments per answer over the demo city in each language (every screen of
``tests/sms/survey.py``). The host's CPUs and load are printed first: on a small shared machine
the client, the workers and PostgreSQL compete for them.

    .venv/bin/python bench/sms_webhook.py [--db sqlite|postgresql|both] [--seconds 6]
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from twilio.request_validator import RequestValidator  # noqa: E402

from tests.fakes.twilio_webhooks import inbound_sms_form  # noqa: E402
from tests.processes import gunicorn  # noqa: E402

AUTH_TOKEN = "b" * 32
ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
PUBLIC_BASE_URL = "https://guichet.example.org"
CITY_NUMBER = "+33639980000"
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
SCRIPT = (
    "ou manger ce soir",
    "2",
    "SUITE",
    "AIDE",
    "douche",
    "1",
    "hebergement urgence",
    "3",
    "medecin gratuit",
    "MENU",
)
NUMBERS_PER_CLIENT = 250
TARGET_FLOOR_SHARE, TARGET_P99_MS = 0.5, 50.0

BARE_APP = """
from flask import Flask, Response, request

app = Flask(__name__)
ANSWER = '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Bonjour</Message></Response>'


@app.post("/sms")
def sms():
    request.form.get("Body", "")
    return Response(ANSWER, mimetype="text/xml")
"""

# The least any implementation of the issue does per message: store it and commit before
# answering, then store the answer and commit; on the database driver alone, one connection
# per worker, no lookup, no engine. Guichet's throughput is measured as a share of its own.
FLOOR_APP = """
import os
import sqlite3

import psycopg
from flask import Flask, Response, request

app = Flask(__name__)
ANSWER = '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Bonjour</Message></Response>'
URL = os.environ["FLOOR_URL"]
_connection = []


def connection():
    if not _connection:
        if URL.startswith("postgresql"):
            _connection.append(psycopg.connect(URL, autocommit=True))
        else:
            lite = sqlite3.connect(URL, isolation_level=None, timeout=15)
            lite.execute("PRAGMA journal_mode=WAL")
            _connection.append(lite)
    return _connection[0]


def store(sid, body):
    if URL.startswith("postgresql"):
        connection().execute("INSERT INTO floor_messages VALUES (%s, %s)", (sid, body))
    else:
        connection().execute("BEGIN IMMEDIATE")
        connection().execute("INSERT INTO floor_messages VALUES (?, ?)", (sid, body))
        connection().execute("COMMIT")


@app.post("/sms")
def sms():
    sid = request.form["MessageSid"]
    store(sid, request.form.get("Body", ""))
    store(sid + "-reply", ANSWER)
    return Response(ANSWER, mimetype="text/xml")
"""


@dataclass(frozen=True)
class Sample:
    seconds: float
    ok: bool
    answered: bool


def _client(port: int, client: int, start: float, stop: float, first: int) -> list[Sample]:
    """One client process: one request in flight, messages from its own numbers, from its
    ``first`` message on (a run goes on where the warm-up stopped)."""
    validator = RequestValidator(AUTH_TOKEN)
    numbers = [f"+3361{client:02d}{n:05d}" for n in range(NUMBERS_PER_CLIENT)]
    samples: list[Sample] = []
    sent = first
    while time.time() < start:
        time.sleep(0.001)
    while time.time() < stop:
        number = numbers[(sent // len(SCRIPT)) % len(numbers)]
        sid = "SM" + secrets.token_hex(16)
        params = inbound_sms_form(
            number, SCRIPT[sent % len(SCRIPT)], sid, to=CITY_NUMBER, account_sid=ACCOUNT_SID
        )
        body = urlencode(params)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": validator.compute_signature(PUBLIC_BASE_URL + "/sms", params),
        }
        began = time.perf_counter()
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
            connection.request("POST", "/sms", body, headers)
            response = connection.getresponse()
            payload = response.read()
            connection.close()
            ok, answered = response.status == 200, b"<Message" in payload
        except OSError:
            ok = answered = False
        samples.append(Sample(time.perf_counter() - began, ok, answered))
        sent += 1
    return samples


@dataclass(frozen=True)
class Result:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    unanswered: int
    requests: int


def drive(name: str, port: int, clients: int, seconds: float, warmup: float) -> Result:
    """Warm the workers up, then drive them for ``seconds`` and measure."""
    with multiprocessing.Pool(clients) as pool:
        now = time.time()
        warm = pool.starmap(_client, [(port, c, now, now + warmup, 0) for c in range(clients)])
        start = time.time() + 0.2
        runs = pool.starmap(
            _client, [(port, c, start, start + seconds, len(warm[c])) for c in range(clients)]
        )
    samples = [sample for run in runs for sample in run]
    latencies = sorted(sample.seconds * 1000 for sample in samples if sample.ok)
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return Result(
        name=name,
        rps=sum(sample.ok for sample in samples) / seconds,  # errors are not throughput
        p50_ms=statistics.median(latencies) if latencies else float("nan"),
        p99_ms=cuts[98] if cuts else float("nan"),
        errors=sum(not sample.ok for sample in samples),
        unanswered=sum(sample.ok and not sample.answered for sample in samples),
        requests=len(samples),
    )


def verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def demo_settings(database_url: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "bench-" + secrets.token_hex(16),
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "DAILY_SEGMENT_CAP": str(10**9),
        "SMS_RATE_LIMIT_PER_HOUR": "30",
    }


def load_demo(database_url: str) -> None:
    from gateway import create_app
    from gateway.cli import DEMO_SERVICES, import_hsds_path
    from gateway.db import db
    from gateway.migrations import upgrade

    upgrade(database_url)
    app = create_app({**demo_settings(database_url), "TESTING": True})
    with app.app_context():
        import_hsds_path(DEMO_SERVICES)
        db.engine.dispose()


@contextmanager
def database(kind: str, workdir: Path) -> Iterator[str]:
    """A migrated database holding the demo city: a SQLite file or a PostgreSQL schema."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from gateway.config import normalize_database_url

    if kind == "sqlite":
        url = f"sqlite:///{workdir / 'bench.sqlite3'}"
        load_demo(url)
        yield url
        return
    base = normalize_database_url(os.environ.get("BENCH_DATABASE_URL") or DEFAULT_PG_URL)
    schema = f"guichet_bench_{os.getpid()}"
    engine = create_engine(base)
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = (
        make_url(base)
        .update_query_dict({"options": f"-csearch_path={schema}"})
        .render_as_string(hide_password=False)
    )
    try:
        load_demo(url)
        yield url
    finally:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


def print_result(result: Result, bare: Result | None, floor: Result | None = None) -> None:
    """One target's line; with its ``floor``, Guichet's share of it and the verdicts."""
    line = (
        f"{result.name:<28} {result.rps:8.0f} {result.p50_ms:8.1f} {result.p99_ms:8.1f} "
        f"{result.errors:7d} {result.unanswered:11d} {result.requests:9d}"
    )
    if bare is not None:
        line += f"   ratio {result.rps / bare.rps:.3f}"
    if floor is not None:
        share = result.rps / floor.rps
        line += (
            f"   of floor {share:.2f} {verdict(share >= TARGET_FLOOR_SHARE)}"
            f"   p99 {verdict(result.p99_ms <= TARGET_P99_MS)}"
            f"   errors {verdict(result.errors == 0)}"
        )
    print(line, flush=True)


def floor_database(kind: str, url: str, workdir: Path) -> str:
    """Where the floor stores its messages, as its driver takes it: a SQLite file of its own,
    or a table in the PostgreSQL schema of ``url``."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    table = "CREATE TABLE floor_messages (sid TEXT PRIMARY KEY, body TEXT NOT NULL)"
    if kind == "sqlite":
        path = workdir / "floor.sqlite3"
        with sqlite3.connect(path) as connection:
            connection.execute(table)
        return str(path)
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql(table)
    engine.dispose()
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def segments_per_language(database_url: str) -> None:
    """Average segments per answer, GSM-7 share and cut screens, per language."""
    from gateway import create_app
    from gateway.db import db
    from tests.sms.survey import LANGUAGES, survey

    app = create_app({**demo_settings(database_url), "TESTING": True})
    with app.app_context():
        walk = survey()
        db.session.rollback()
        db.engine.dispose()
    print(f"\nsegments per answer over the demo city ({len(walk)} screens, tests/sms/survey.py)")
    print(f"{'language':<9} {'answers':>7} {'avg seg':>8} {'max':>4} {'GSM-7':>6} {'cut':>4}")
    for locale in LANGUAGES:
        pages = [rendered.page for rendered in walk if rendered.locale == locale]
        segments = [page.sms.segments for page in pages]
        gsm = sum(page.sms.encoding == "GSM-7" for page in pages) / len(pages)
        print(
            f"{locale:<9} {len(pages):7d} {statistics.mean(segments):8.2f} {max(segments):4d} "
            f"{gsm:6.0%} {sum(page.more for page in pages):4d}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--seconds", type=float, default=6.0, help="measured, per target")
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    args = parser.parse_args()
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        (workdir / "bare_wsgi.py").write_text(BARE_APP)
        (workdir / "floor_wsgi.py").write_text(FLOOR_APP)
        load = os.getloadavg()[0]
        print(f"host: {os.cpu_count()} CPUs, load average {load:.1f} at start", flush=True)
        print(
            f"gunicorn 2 sync workers per target; {args.clients} client processes, one request "
            f"in flight each, on 127.0.0.1; {args.seconds:.0f} s measured per target after a "
            f"warm-up; signed inbound webhooks from {args.clients * NUMBERS_PER_CLIENT} numbers",
            flush=True,
        )
        print(
            f"\n{'target':<28} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} "
            f"{'unanswered':>11} {'requests':>9}   vs bare Flask; Guichet vs its floor (targets: "
            f"≥ {TARGET_FLOOR_SHARE} of the floor, p99 ≤ {TARGET_P99_MS:.0f} ms, no errors)"
        )
        with gunicorn("bare_wsgi:app", {}, workdir, workdir / "bare.log") as port:
            bare = drive("bare Flask /sms", port, args.clients, args.seconds, warmup=1.0)
        print_result(bare, None)
        for kind in kinds:
            with database(kind, workdir) as url:
                with gunicorn(
                    "floor_wsgi:app",
                    {"FLOOR_URL": floor_database(kind, url, workdir)},
                    workdir,
                    workdir / f"floor-{kind}.log",
                ) as port:
                    name = f"floor: 2 commits ({kind})"
                    floor = drive(name, port, args.clients, args.seconds, 1.0)
                print_result(floor, bare)
                log = workdir / f"guichet-{kind}.log"
                with gunicorn("wsgi:app", demo_settings(url), ROOT, log) as port:
                    result = drive(f"Guichet /sms ({kind})", port, args.clients, args.seconds, 3.0)
                print_result(result, bare, floor)
                if result.errors:
                    tail = [line for line in log.read_text().splitlines() if "Error" in line]
                    print(f"    server errors, last: {tail[-1] if tail else '(none logged)'}")
        print(
            "\nfloor: bare Flask that only stores the message, commits, stores its answer and "
            "commits\n(the issue's minimum, on the database driver alone): Guichet is measured "
            "against its floor's throughput"
        )
        with database("sqlite", workdir) as url:
            segments_per_language(url)


if __name__ == "__main__":
    main()
