"""Twice a city's peak, open loop: 20 inbound SMS a second for 60 s against the SMS webhook.

Starts Guichet under gunicorn (2 sync workers, ``wsgi:app`` as the Procfile does) on the demo
city in a temporary PostgreSQL schema (``BENCH_DATABASE_URL``, default the tests' server), and
posts Twilio's real inbound fields, signed with ``X-Twilio-Signature``, on a fixed schedule:
message ``i`` leaves at ``start + i / rate`` whether or not the earlier ones were answered, as
residents' phones do. (A closed loop, one request in flight per client as in
``bench/sms_webhook.py``, slows down with the server and hides the queueing a real peak
causes.) Latency is measured from the scheduled departure, so a client that falls behind
counts against the server, not for it.

Messages come from ``--numbers`` residents in turn (at 20/s and 200 numbers each texts every
10 s), each walking the same short conversation as ``bench/sms_webhook.py``; no number has two
messages in flight. The daily segment cap is lifted and the hourly limit is far away, so every
message is answered.

Prints p50, p95, p99 and the worst latency, errors (an answer but 200; a connection that
failed before 15 s), answers past Twilio's 15 s (Twilio has given up on those), how late the
client sent, the throughput achieved (answers 200 a second), and PASS/FAIL against the issue's
target (p99 ≤ 250 ms, every message answered 200 within 15 s). A request not answered within
15 s counts as infinitely slow in the percentiles.

    .venv/bin/python bench/sms_load.py [--rate 20] [--seconds 60] [--numbers 200]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import secrets
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from twilio.request_validator import RequestValidator  # noqa: E402

from bench.sms_webhook import (  # noqa: E402
    ACCOUNT_SID,
    AUTH_TOKEN,
    CITY_NUMBER,
    PUBLIC_BASE_URL,
    SCRIPT,
    database,
    demo_settings,
)
from tests.fakes.twilio_webhooks import inbound_sms_form  # noqa: E402
from tests.processes import gunicorn  # noqa: E402

TWILIO_TIMEOUT = 15.0  # seconds Twilio waits for a webhook's answer
TARGET_P99_MS = 250.0
WARM_UP_SECONDS = 5.0  # at the same rate, before measuring: both workers have the app loaded
COLD_START_TIMEOUT = 120.0  # a worker's first answer: it imports the app first


@dataclass(frozen=True)
class Sample:
    """One message: seconds from its scheduled departure to its answer (inf: none within
    Twilio's timeout), the HTTP status (0: none), and how late the client sent it."""

    seconds: float
    status: int
    lag: float


def signed(n: int, numbers: int) -> tuple[dict[str, str], dict[str, str]]:
    """The form and headers of message ``n``: resident ``n % numbers``, at their
    ``n // numbers``-th message of the conversation."""
    validator = RequestValidator(AUTH_TOKEN)
    number = f"+3362{n % numbers:07d}"
    body = SCRIPT[(n // numbers) % len(SCRIPT)]
    sid = "SM" + secrets.token_hex(16)
    params = inbound_sms_form(number, body, sid, to=CITY_NUMBER, account_sid=ACCOUNT_SID)
    headers = {"X-Twilio-Signature": validator.compute_signature(PUBLIC_BASE_URL + "/sms", params)}
    return params, headers


async def post(
    session: aiohttp.ClientSession, url: str, n: int, numbers: int, due: float, timeout: float
) -> Sample:
    await asyncio.sleep(max(0.0, due - time.perf_counter()))
    lag = time.perf_counter() - due
    params, headers = signed(n, numbers)
    try:
        async with session.post(
            url, data=params, headers=headers, timeout=aiohttp.ClientTimeout(total=timeout)
        ) as response:
            await response.read()
            status = response.status
    except TimeoutError:
        return Sample(math.inf, 0, lag)
    except aiohttp.ClientError:
        return Sample(time.perf_counter() - due, 0, lag)
    return Sample(time.perf_counter() - due, status, lag)


async def run(port: int, rate: float, seconds: float, numbers: int, first: int) -> list[Sample]:
    """``rate × seconds`` messages on a fixed schedule, numbered from ``first``."""
    url = f"http://127.0.0.1:{port}/sms"
    count = int(rate * seconds)
    connector = aiohttp.TCPConnector(limit=0, force_close=True)  # Twilio opens a connection each
    async with aiohttp.ClientSession(connector=connector) as session:
        start = time.perf_counter() + 0.5
        return await asyncio.gather(
            *(
                post(session, url, first + i, numbers, start + i / rate, TWILIO_TIMEOUT)
                for i in range(count)
            )
        )


async def cold_start(port: int) -> None:
    """One message per worker, waited for however long the import takes."""
    url = f"http://127.0.0.1:{port}/sms"
    async with aiohttp.ClientSession() as session:
        now = time.perf_counter()
        samples = await asyncio.gather(
            *(post(session, url, -1 - i, 10**6, now, COLD_START_TIMEOUT) for i in range(4))
        )
    if any(sample.status != 200 for sample in samples):
        raise RuntimeError(f"warm-up answered {[sample.status for sample in samples]}")


def percentile(ordered: list[float], share: float) -> float:
    """The nearest-rank percentile of ``ordered`` (inf included)."""
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def summary(samples: list[Sample], rate: float, seconds: float) -> bool:
    ordered = sorted(sample.seconds * 1000 for sample in samples)
    ok = [sample for sample in samples if sample.status == 200]
    errors = sum(sample.status not in (0, 200) for sample in samples)  # answered, not 200
    late = sum(sample.seconds > TWILIO_TIMEOUT for sample in samples)  # Twilio gave up first
    finite = [s.seconds for s in samples if math.isfinite(s.seconds)]
    span = max(seconds, max(finite, default=0.0) + (len(samples) - 1) / rate)
    p50, p95, p99 = (percentile(ordered, q) for q in (0.50, 0.95, 0.99))
    lags = sorted(sample.lag * 1000 for sample in samples)
    print(
        f"\n{len(samples)} messages at {rate:g}/s for {seconds:g} s; client lag p99 "
        f"{percentile(lags, 0.99):.1f} ms (how late the client sent them)"
    )
    failed = sum(sample.status == 0 and sample.seconds <= TWILIO_TIMEOUT for sample in samples)
    print(
        f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>9} {'HTTP errors':>12} "
        f"{'no answer':>10} {'past 15 s':>10}"
    )
    print(
        f"{p50:8.1f} {p95:8.1f} {p99:8.1f} {ordered[-1]:9.1f} {errors:12d} {failed:10d} {late:10d}"
    )
    print(
        f"throughput achieved: {len(ok) / span:.1f} answers/s over {span:.1f} s "
        f"(offered {rate:g}/s); median of answered {statistics.median(finite) * 1000:.1f} ms"
    )
    passed = p99 <= TARGET_P99_MS and len(ok) == len(samples)
    verdict = "PASS" if passed else "FAIL"
    print(f"target p99 ≤ {TARGET_P99_MS:.0f} ms, no error, none past 15 s: {verdict}")
    return passed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=20.0, help="messages a second")
    parser.add_argument("--seconds", type=float, default=60.0, help="measured")
    parser.add_argument("--numbers", type=int, default=200, help="residents texting in turn")
    args = parser.parse_args()

    load = os.getloadavg()[0]
    print(f"host: {os.cpu_count()} CPUs, load average {load:.1f} at start", flush=True)
    print(
        f"gunicorn 2 sync workers, PostgreSQL, open loop on 127.0.0.1: {args.rate:g} signed "
        f"inbound SMS/s for {args.seconds:g} s from {args.numbers} numbers, after "
        f"{WARM_UP_SECONDS:g} s of warm-up",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        with database("postgresql", workdir) as url:
            log = workdir / "guichet.log"
            with gunicorn("wsgi:app", demo_settings(url), ROOT, log) as port:
                asyncio.run(cold_start(port))
                warm = int(args.rate * WARM_UP_SECONDS)
                asyncio.run(run(port, args.rate, WARM_UP_SECONDS, args.numbers, 0))
                samples = asyncio.run(run(port, args.rate, args.seconds, args.numbers, warm))
            passed = summary(samples, args.rate, args.seconds)
            if any(sample.status not in (0, 200) for sample in samples):
                errors = [line for line in log.read_text().splitlines() if "Error" in line]
                print(f"server errors, last: {errors[-1] if errors else '(none logged)'}")
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
