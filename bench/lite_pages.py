"""What a lite page costs at a city's real size, and what it costs a resident on 2G.

**At sizes** (the default): for synthetic directories of 1k and 10k services
(``bench/directory.py``'s, imported into a fresh SQLite file as ``guichet import hsds``
does; ``--with-100k`` adds 100k, which takes ~20 minutes to import), each size in a process
of its own, prints per page type the SQL statements one page issues, its p50 and p95
latency over ``--requests`` requests answered by the app in process (Flask's test client:
no network, no gunicorn), and the largest page of the type compressed with gzip. Then the
SMS category pick: a signed ``POST /sms`` answering "1" at the menu (the first category),
from its own number each time, the conversation's state written as in production. Every
figure is measured once the process has read its snapshot and index (the first request of
a process builds them; readiness is not this benchmark's). Targets (issue 20), met at 100k:
every lite page p95 ≤ 50 ms and ≤ 14.6 KB compressed; an SMS category pick ≤ 50 ms.

**--2g**: the demo city through the app, the largest page of each type as a browser asking
for gzip, then brotli: bytes (body and response headers) and the time to load on a
simulated 2G link:

    280 kbit/s, 800 ms round trip; a new connection costs one round trip for TCP and one for
    TLS 1.3; the response then arrives in flights, TCP slow start sending 10 segments of
    1460 bytes in the first and doubling each round trip; every segment carries 40 bytes of
    TCP/IP headers. Time = round trips × RTT + bytes on the wire ÷ bandwidth.

A revisit costs one request answered 304 on the same model. Beside them: the 14.6 KB first
flight (what arrives in the first round trip: the lite budget) and the median mobile page of
2.2 MB (HTTP Archive's Web Almanac 2025), loaded on the same link as if it were one response
(a real page of ~70 requests takes longer still).

    .venv/bin/python bench/lite_pages.py [--sizes 1000,10000] [--with-100k] [--requests 40]
    .venv/bin/python bench/lite_pages.py --2g
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

BANDWIDTH = 280_000 / 8  # bytes per second
RTT = 0.8  # seconds
SEGMENT = 1460
INITIAL_WINDOW = 10  # segments
IP_TCP_OVERHEAD = 40  # bytes per segment
HANDSHAKES = 2  # TCP, then TLS 1.3
FIRST_FLIGHT = INITIAL_WINDOW * SEGMENT  # 14,600 bytes
MEDIAN_MOBILE_PAGE = 2_200_000  # bytes, Web Almanac 2025
TARGET_MS = 50.0
AUTH_TOKEN = "b" * 32
PUBLIC_BASE_URL = "https://guichet.example.org"


@dataclass(frozen=True)
class Load:
    bytes_on_wire: int
    round_trips: int
    seconds: float


def load(response_bytes: int, new_connection: bool = True) -> Load:
    """Seconds to fetch ``response_bytes`` (headers and body) on the simulated 2G link."""
    flights, remaining, window = 0, response_bytes, INITIAL_WINDOW * SEGMENT
    while remaining > 0 or flights == 0:
        remaining -= window
        window *= 2
        flights += 1
    segments = max(1, -(-response_bytes // SEGMENT))
    wire = response_bytes + segments * IP_TCP_OVERHEAD
    trips = flights + (HANDSHAKES if new_connection else 0)
    return Load(wire, trips, trips * RTT + wire / BANDWIDTH)


def header_bytes(response) -> int:  # type: ignore[no-untyped-def]
    status = len(f"HTTP/1.1 {response.status}\r\n")
    return status + sum(len(k) + len(v) + 4 for k, v in response.headers.items()) + 2


# --------------------------------------------------------------------------------------------
# At sizes
# --------------------------------------------------------------------------------------------


def page_types(app) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """Addresses of each page type: the largest category, every district, the last pages."""
    from channels.web.areas import districts
    from channels.web.views import SHEET_PAGE_SIZE
    from gateway.conversation.profiles import profile_for
    from gateway.db import db
    from gateway.directory.listings import listings, sheet_ids
    from gateway.directory.queries import directory_snapshot, snapshot_counts

    with app.app_context():
        snapshot = directory_snapshot(db.session)
        found = listings(snapshot)
        counts = snapshot_counts(snapshot)
        category = max(counts, key=lambda slug: counts[slug])
        known = districts(found)
        services = list(snapshot.services)[:: max(1, len(snapshot.services) // 20)]
        last = -(-counts[category] // profile_for("web").page_size)
        sheet = sum(len(ids) for _s, ids in sheet_ids(snapshot, "fr", category=category))
        last_sheet = -(-sheet // SHEET_PAGE_SIZE)
    d = known[0].slug
    return {
        "home": ["/"],
        "category": [f"/category/{category}", f"/category/{category}?page={last}"],
        "category near": [f"/category/{category}?area={k.slug}" for k in known],
        "search": ["/search?q=repas", "/search?q=douche", "/search?q=emploi+45130"],
        "search: none": ["/search?q=xqzvw"],
        "service": [f"/service/{id}" for id in services],
        "service: French": [f"/service/{id}?original=1&lang=en" for id in services],
        "about your data": ["/about-your-data"],
        "print: index": ["/print/"],
        "print: category": [f"/print/category/{category}", f"/print/category/{category}?page="
                            f"{last_sheet}"],
        "print: district": [f"/print/district/{k.slug}" for k in known],
        "print: district×cat": [f"/print/district/{d}/{slug}" for slug in counts
                                if counts[slug]][:8],
    }  # fmt: skip


def build(url: str, count: int) -> float:
    """Migrate and import ``count`` synthetic services; the seconds the import took."""
    from directory import synthetic_services

    from gateway import create_app
    from gateway.db import db
    from gateway.directory.hsds import import_services
    from gateway.migrations import upgrade

    upgrade(url)
    records = synthetic_services(count)
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "bench"})
    started = time.perf_counter()
    with app.app_context():
        import_services(db.session, records, source="bench")
        db.session.commit()
        db.engine.dispose()
    return time.perf_counter() - started


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def measure(count: int, requests: int) -> dict[str, object]:
    """Every page type and the SMS category pick on ``count`` services."""
    from sqlalchemy import event
    from twilio.request_validator import RequestValidator

    from gateway import create_app
    from gateway.db import db
    from tests.fakes.twilio_webhooks import inbound_sms_form

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.sqlite3"
        import_seconds = build(url, count)
        app = create_app(
            {
                "DATABASE_URL": url,
                "SECRET_KEY": "bench",
                "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
                "DAILY_SEGMENT_CAP": str(10**9),
                "SMS_RATE_LIMIT_PER_HOUR": "0",
            }
        )
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_ENCODING"] = "gzip"
        started = time.perf_counter()
        assert client.get("/search?q=repas").status_code == 200  # the snapshot and index
        first_seconds = time.perf_counter() - started
        types = page_types(app)
        with app.app_context():
            engine = db.engine
        statements: list[str] = []
        event.listen(engine, "before_cursor_execute", lambda *_a: statements.append(""))
        rows = []
        for name, paths in types.items():
            for path in paths:  # each address once first: what it works out once per snapshot
                assert client.get(path).status_code == 200, path
            latencies, sizes, counts = [], [], set()
            for n in range(requests):
                path = paths[n % len(paths)]
                statements.clear()
                began = time.perf_counter()
                response = client.get(path)
                latencies.append(1000 * (time.perf_counter() - began))
                assert response.status_code == 200, path
                sizes.append(len(response.get_data()))
                counts.add(len(statements))
            rows.append(
                {
                    "page": name,
                    "statements": "/".join(map(str, sorted(counts))),
                    "p50_ms": statistics.median(latencies),
                    "p95_ms": percentile(latencies, 95),
                    "gzip_max": max(sizes),
                }
            )
        validator = RequestValidator(AUTH_TOKEN)

        def text(number: str, body: str, n: int) -> float:
            params = inbound_sms_form(
                number, body, f"SM{n:032x}", to="+33639980000", account_sid="AC" + "0" * 32
            )
            signature = validator.compute_signature(PUBLIC_BASE_URL + "/sms", params)
            began = time.perf_counter()
            response = client.post(
                "/sms",
                data=urlencode(params),
                content_type="application/x-www-form-urlencoded",
                headers={"X-Twilio-Signature": signature},
            )
            assert response.status_code == 200 and b"<Message" in response.data
            return 1000 * (time.perf_counter() - began)

        picks = []
        for n in range(requests + 5):
            number = f"+336{count % 100:02d}{n:06d}"
            text(number, "MENU", 2 * n)
            took = text(number, "1", 2 * n + 1)
            if n >= 5:  # the first few: caches of the conversation's code paths
                picks.append(took)
    return {
        "services": count,
        "import_s": import_seconds,
        "first_request_s": first_seconds,
        "pages": rows,
        "sms_pick_p50_ms": statistics.median(picks),
        "sms_pick_p95_ms": percentile(picks, 95),
    }


def at_sizes(sizes: list[int], requests: int) -> None:
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {os.cpu_count()} CPUs")
    results = []
    for size in sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(size), "--requests", str(requests)],
            capture_output=True,
            text=True,
        )
        if out.returncode != 0:
            sys.exit(f"size {size} failed:\n{out.stderr[-3000:]}")
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    header = f"{'page type':<20}" + "".join(
        f" | {r['services']:>7} services: stmts  p50 ms  p95 ms  gzip B" for r in results
    )
    print(header)
    met = True
    for i, row in enumerate(results[0]["pages"]):
        line = f"{row['page']:<20}"
        for result in results:
            page = result["pages"][i]
            line += (
                f" | {'':>16}{page['statements']:>6} {page['p50_ms']:>7.1f} "
                f"{page['p95_ms']:>7.1f} {page['gzip_max']:>7}"
            )
        last = results[-1]["pages"][i]
        met &= last["p95_ms"] <= TARGET_MS and last["gzip_max"] <= FIRST_FLIGHT
        print(line)
    line = f"{'SMS category pick':<20}"
    for result in results:
        line += (
            f" | {'':>16}{'':>6} {result['sms_pick_p50_ms']:>7.1f} "
            f"{result['sms_pick_p95_ms']:>7.1f} {'':>7}"
        )
    print(line)
    largest = results[-1]
    met &= largest["sms_pick_p95_ms"] <= TARGET_MS
    for result in results:
        print(
            f"{result['services']} services: import {result['import_s']:.0f} s, the process's "
            f"first request (snapshot and index) {result['first_request_s']:.1f} s"
        )
    print(
        f"targets at {largest['services']} services (p95 ≤ {TARGET_MS:.0f} ms, ≤ "
        f"{FIRST_FLIGHT} B compressed; SMS pick p95 ≤ {TARGET_MS:.0f} ms): "
        f"{'met' if met else 'NOT met'}"
    )
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


# --------------------------------------------------------------------------------------------
# On 2G, the demo city
# --------------------------------------------------------------------------------------------


def on_2g() -> None:
    from channels.web.areas import districts
    from gateway import create_app
    from gateway.cli import DEMO_SERVICES, import_hsds_path
    from gateway.config import SUPPORTED_LOCALES
    from gateway.db import db
    from gateway.directory.listings import listings
    from gateway.directory.queries import directory_snapshot
    from gateway.migrations import upgrade
    from gateway.models import CATEGORY_SLUGS

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        upgrade(url)
        app = create_app({"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": "bench"})
        with app.app_context():
            import_hsds_path(DEMO_SERVICES)
            snapshot = directory_snapshot(db.session)
            district_slugs = [d.slug for d in districts(listings(snapshot))]
            service_ids = list(snapshot.services)
        types = {
            "home": ["/"],
            "category": [f"/category/{slug}" for slug in CATEGORY_SLUGS],
            "service": [f"/service/{sid}" for sid in service_ids],
            "search": ["/search?q=manger", "/search?q=douche", "/search?q=papiers"],
            "no result": ["/search?q=xqzvw"],
            "about your data": ["/about-your-data"],
            "print: category": [f"/print/category/{slug}" for slug in CATEGORY_SLUGS],
            "print: district": [f"/print/district/{slug}" for slug in district_slugs],
        }
        print(
            f"2G: {BANDWIDTH * 8 / 1000:.0f} kbit/s, {RTT * 1000:.0f} ms RTT, TLS 1.3, "
            f"initial window {INITIAL_WINDOW}×{SEGMENT} B; bytes of the largest page of each "
            f"type in {len(SUPPORTED_LOCALES)} locales (body; load times add response headers)"
        )
        print(
            f"{'page type':<16} {'raw':>7} {'gzip':>6} {'br':>6} {'RTs':>4} {'first visit':>11} "
            f"{'304 revisit':>11} {'of 14.6 KB':>10} {'2.2 MB is':>9}"
        )
        client = app.test_client()
        for name, paths in types.items():
            sizes: dict[str, int] = {}
            worst = ("", 0, 0)  # (address, gzip body, gzip headers)
            for locale in SUPPORTED_LOCALES:
                for path in paths:
                    full = f"{path}{'&' if '?' in path else '?'}lang={locale}"
                    for encoding in ("identity", "gzip", "br"):
                        response = client.get(full, headers={"Accept-Encoding": encoding})
                        body = len(response.get_data())
                        sizes[encoding] = max(sizes.get(encoding, 0), body)
                        if encoding == "gzip" and body > worst[1]:
                            worst = (full, body, header_bytes(response))
            address, body, headers = worst
            first = load(body + headers)
            etag = client.get(address, headers={"Accept-Encoding": "gzip"}).headers["ETag"]
            revisit = client.get(address, headers={"If-None-Match": etag})
            assert revisit.status_code == 304, address
            again = load(header_bytes(revisit), new_connection=False)
            print(
                f"{name:<16} {sizes['identity']:>7} {sizes['gzip']:>6} {sizes['br']:>6} "
                f"{first.round_trips:>4} {first.seconds:>10.2f}s {again.seconds:>10.2f}s "
                f"{(body + headers) / FIRST_FLIGHT:>10.0%} {MEDIAN_MOBILE_PAGE / body:>8.0f}×"
            )
        median = load(MEDIAN_MOBILE_PAGE)
        budget = load(FIRST_FLIGHT)
        print(
            f"{'14.6 KB budget':<16} {'':>7} {FIRST_FLIGHT:>6} {'':>6} {budget.round_trips:>4} "
            f"{budget.seconds:>10.2f}s"
        )
        print(
            f"{'median mobile':<16} {'':>7} {MEDIAN_MOBILE_PAGE:>6} {'':>6} "
            f"{median.round_trips:>4} {median.seconds:>10.2f}s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--with-100k", action="store_true")
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--2g", dest="two_g", action="store_true")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.two_g:
        on_2g()
    elif args.one:
        print(json.dumps(measure(args.one, args.requests)))
    else:
        sizes = [int(s) for s in args.sizes.split(",")] + ([100_000] if args.with_100k else [])
        at_sizes(sizes, args.requests)


if __name__ == "__main__":
    main()
