"""What a lite page costs a resident on 2G: bytes on the wire and seconds to load.

Serves the demo city through the app (a temporary SQLite database), takes the largest page of
each type as a browser asking for gzip, then brotli, and prints, per page type, the bytes
(body and response headers) and the time to load on a simulated 2G link:

    280 kbit/s, 800 ms round trip; a new connection costs one round trip for TCP and one for
    TLS 1.3; the response then arrives in flights, TCP slow start sending 10 segments of
    1460 bytes in the first and doubling each round trip; every segment carries 40 bytes of
    TCP/IP headers. Time = round trips × RTT + bytes on the wire ÷ bandwidth.

A revisit costs one request answered 304 on the same model. Beside them: the 14.6 KB first
flight (what arrives in the first round trip: the lite budget) and the median mobile page of
2.2 MB (HTTP Archive's Web Almanac 2025), loaded on the same link as if it were one response
(a real page of ~70 requests takes longer still).

    .venv/bin/python bench/lite_pages.py
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BANDWIDTH = 280_000 / 8  # bytes per second
RTT = 0.8  # seconds
SEGMENT = 1460
INITIAL_WINDOW = 10  # segments
IP_TCP_OVERHEAD = 40  # bytes per segment
HANDSHAKES = 2  # TCP, then TLS 1.3
FIRST_FLIGHT = INITIAL_WINDOW * SEGMENT  # 14,600 bytes
MEDIAN_MOBILE_PAGE = 2_200_000  # bytes, Web Almanac 2025
CCAS = "b4275291-c04e-554f-9965-d67b3cd496e4"


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


def main() -> None:
    from gateway import create_app
    from gateway.cli import DEMO_SERVICES, import_hsds_path
    from gateway.config import SUPPORTED_LOCALES
    from gateway.migrations import upgrade
    from gateway.models import CATEGORY_SLUGS

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        upgrade(url)
        app = create_app({"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": "bench"})
        with app.app_context():
            import_hsds_path(DEMO_SERVICES)
            from channels.web.areas import districts
            from gateway.db import db
            from gateway.directory.queries import listed_services

            district_slugs = [d.slug for d in districts(db.session)]
            service_ids = [s.id for s in listed_services(db.session)]
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


if __name__ == "__main__":
    main()
