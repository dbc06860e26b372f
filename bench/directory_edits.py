"""What a social worker's edits cost residents: SMS answers while the directory changes.

Builds a synthetic directory (``bench/directory.py``'s services) of each size in a fresh
SQLite file (with ``--cache DIR``, once: later runs start from a copy of it), starts Guichet
under gunicorn (2 sync workers, ``wsgi:app`` and the hooks of ``gateway.serving`` as the
Procfile does) and drives ``/sms`` with ``--clients`` processes as ``bench/sms_webhook.py`` does:
first for ``--seconds`` with no edit (the baseline), then as long again while this process,
the social worker, renames one service every ``--every`` seconds through the directory's
operations and commits. After each edit it polls the service's lite page and the lite search
for the new name until a worker shows it: the time until an edit is visible (to the worker
that answered; two workers share the polls).

Prints, per size: SMS p50 and p99 without and during edits, errors, how long an edit took to
be visible on its page and in search (median and worst), and the workers' resident memory.
On a small shared machine the client, the workers and the editor compete for the CPUs: the
host's CPUs and load are printed first.

    .venv/bin/python bench/directory_edits.py [--sizes 1000,10000] [--with-100k]
        [--seconds 20] [--every 2] [--cache /tmp/guichet-bench]
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from directory import synthetic_services  # noqa: E402
from sms_webhook import Sample, _client, demo_settings  # noqa: E402

from tests.processes import GUNICORN, free_port, serve, session_members  # noqa: E402

VISIBLE_TIMEOUT = 60.0
POLL_SECONDS = 0.05
REPLICATED = 10_000


@dataclass(frozen=True)
class Latencies:
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int

    @classmethod
    def of(cls, samples: list[Sample]) -> Latencies:
        latencies = sorted(sample.seconds * 1000 for sample in samples if sample.ok)
        cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
        return cls(
            p50_ms=statistics.median(latencies) if latencies else float("nan"),
            p99_ms=cuts[98] if cuts else float("nan"),
            errors=sum(not sample.ok for sample in samples),
            requests=len(samples),
        )


def build_directory(url: str, count: int) -> list[str]:
    """Migrate and import ``count`` synthetic services; their ids."""
    from gateway import create_app
    from gateway.db import db
    from gateway.directory.hsds import import_services
    from gateway.migrations import upgrade

    upgrade(url)
    records = list(synthetic_services(count))
    app = create_app({**demo_settings(url), "TESTING": True})
    with app.app_context():
        import_services(db.session, records, source="bench")
        db.session.commit()
        db.engine.dispose()
    return [record["id"] for record in records]


# The tables of a service's rows, copied by replicate(): every id in them is the service's
# own (organisations and categories are shared by the copies).
SERVICE_TABLES = (
    "locations",
    "services",
    "service_texts",
    "service_categories",
    "service_locations",
    "phones",
    "schedules",
    "closures",
)
SHARED_IDS = {"organization_id", "category_id"}


def replicate(path: Path, times: int) -> None:
    """Make the directory at ``path`` ``times`` as large: each service and place copied with
    ids of their own (the same length, "x" and the copy's number first), their names
    marked with it. Much faster than importing 100,000 services, for a benchmark that
    measures edits, not imports."""
    with sqlite3.connect(path) as connection:
        for table in SERVICE_TABLES:
            connection.execute(f"CREATE TEMP TABLE original_{table} AS SELECT * FROM {table}")
        for copy in range(1, times):
            for table in SERVICE_TABLES:
                columns = [row[1] for row in connection.execute(f"PRAGMA table_info({table})")]
                values = [
                    f"'x{copy}' || substr({name}, 3)"
                    if (name == "id" or name.endswith("_id")) and name not in SHARED_IDS
                    else f"{name} || ' {copy}'"
                    if name == "name"
                    else name
                    for name in columns
                ]
                connection.execute(
                    f"INSERT INTO {table} ({', '.join(columns)}) "
                    f"SELECT {', '.join(values)} FROM original_{table}"
                )
        connection.execute("UPDATE directory_version SET version = version + 1")


def cached_directory(url: str, count: int, cache: Path | None) -> list[str]:
    """:func:`build_directory`, or a copy of the one built before in ``cache``; its ids.
    A directory of more than 10,000 services is built from the one of 10,000, copied
    (:func:`replicate`)."""
    path = Path(url.removeprefix("sqlite:///"))
    if cache is None:
        return build_directory(url, count)
    kept = cache / f"directory-edits-{count}.sqlite3"
    if not kept.exists():
        cache.mkdir(parents=True, exist_ok=True)
        building = kept.with_suffix(".building")
        if count > REPLICATED and count % REPLICATED == 0:
            cached_directory(f"sqlite:///{building}", REPLICATED, cache)
            replicate(building, count // REPLICATED)
        else:
            build_directory(f"sqlite:///{building}", count)
        with sqlite3.connect(building) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        building.rename(kept)
        for leftover in cache.glob(f"{building.name}-*"):
            leftover.unlink()
    shutil.copyfile(kept, path)
    with sqlite3.connect(path) as connection:
        return [row[0] for row in connection.execute("SELECT id FROM services ORDER BY id")]


def get(port: int, path: str, timeout: float = 30) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    connection.request("GET", path)
    body = connection.getresponse().read().decode()
    connection.close()
    return body


def token(n: int) -> str:
    """A word of letters found in no other service's texts."""
    return "qx" + "".join(chr(ord("a") + int(digit)) for digit in f"{n:06d}")


def edit_and_watch(
    url: str, port: int, service_ids: list[str], every: float, until: float
) -> tuple[list[float], list[float]]:
    """Rename a random service every ``every`` seconds until ``until``; for each edit, the
    seconds until its page, and its search, showed the new name."""
    from gateway import create_app
    from gateway.db import db
    from gateway.directory.operations import ServiceData, update_service
    from gateway.directory.queries import get_service

    rng = random.Random(5)
    page_delays: list[float] = []
    search_delays: list[float] = []
    app = create_app({**demo_settings(url), "TESTING": True})
    with app.app_context():
        n = 0
        while time.time() < until:
            started = time.time()
            service_id = rng.choice(service_ids)
            service = get_service(db.session, service_id)
            assert service is not None
            word = token(n)
            data = ServiceData.of(service)
            data.texts["fr"].name = f"Service {word}"
            update_service(db.session, "bench", service, data)
            db.session.commit()
            committed = time.perf_counter()
            page_seen = search_seen = None
            while page_seen is None or search_seen is None:
                elapsed = time.perf_counter() - committed
                if elapsed > VISIBLE_TIMEOUT:
                    break
                if page_seen is None and word in get(port, f"/service/{service_id}"):
                    page_seen = time.perf_counter() - committed
                if search_seen is None and service_id in get(port, f"/search?q={quote(word)}"):
                    search_seen = time.perf_counter() - committed
                # Polls take a worker from the SMS too: a few a second, not a hundred.
                time.sleep(POLL_SECONDS)
            page_delays.append(page_seen if page_seen is not None else float("inf"))
            search_delays.append(search_seen if search_seen is not None else float("inf"))
            n += 1
            time.sleep(max(0.0, started + every - time.time()))
        db.engine.dispose()
    return page_delays, search_delays


def rss_mb(master: int) -> tuple[float, float]:
    """The workers' largest resident memory now and at its peak (VmRSS, VmHWM), in MB."""
    now = peak = 0.0
    for pid in session_members(master):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if "gunicorn" not in Path(f"/proc/{pid}/cmdline").read_text():
            continue
        now = max(now, int(fields["VmRSS"].split()[0]) / 1024)
        peak = max(peak, int(fields["VmHWM"].split()[0]) / 1024)
    return now, peak


def sms_for(pool, port: int, clients: int, seconds: float, first: int):  # type: ignore[no-untyped-def]
    start = time.time() + 0.2
    return start, pool.starmap_async(
        _client, [(port, c, start, start + seconds, first) for c in range(clients)]
    )


def warm_up(port: int, service_ids: list[str]) -> float:
    """Seconds until both workers answer (each reads its snapshot and index first)."""
    started = time.perf_counter()
    for _ in range(8):  # both workers, likely
        # A worker takes a minute to read and index 100,000 services on a busy machine.
        get(port, f"/search?q={quote('repas')}", timeout=600)
        get(port, f"/service/{service_ids[0]}", timeout=600)
    return time.perf_counter() - started


def measure(
    count: int, clients: int, seconds: float, every: float, cache: Path | None
) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url = f"sqlite:///{workdir / 'bench.sqlite3'}"
        began = time.perf_counter()
        service_ids = cached_directory(url, count, cache)
        import_seconds = time.perf_counter() - began
        port = free_port()
        pidfile = workdir / "gunicorn.pid"
        argv = [GUNICORN, "--config", "python:gateway.serving", "--workers", "2"]
        argv += ["--timeout", "120", "--bind", f"127.0.0.1:{port}"]
        argv += ["--pid", str(pidfile), "wsgi:app"]
        with serve(argv, port, demo_settings(url), ROOT, workdir / "guichet.log"):
            warm = warm_up(port, service_ids)
            master = int(pidfile.read_text())
            with multiprocessing.Pool(clients) as pool:
                _start, quiet = sms_for(pool, port, clients, seconds, 0)
                baseline = [sample for run in quiet.get() for sample in run]
                start, busy = sms_for(pool, port, clients, seconds, len(baseline))
                while time.time() < start:
                    time.sleep(0.01)
                page, found = edit_and_watch(url, port, service_ids, every, start + seconds)
                during = [sample for run in busy.get() for sample in run]
            rss, peak = rss_mb(master)
    return {
        "services": count,
        "import_s": import_seconds,
        "warm_s": warm,
        "quiet": Latencies.of(baseline),
        "edits": Latencies.of(during),
        "edit_count": len(page),
        "page_median_s": statistics.median(page),
        "page_max_s": max(page),
        "search_median_s": statistics.median(found),
        "search_max_s": max(found),
        "rss_mb": rss,
        "peak_rss_mb": peak,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--with-100k", action="store_true", help="add 100,000 services")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured, per phase")
    parser.add_argument("--every", type=float, default=2.0, help="seconds between edits")
    parser.add_argument("--clients", type=int, default=2, help="SMS client processes")
    parser.add_argument("--cache", type=Path, help="keep the directories built here")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")] + ([100_000] if args.with_100k else [])
    print(f"host: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
    print("(import s: the directory's import, or its copy from --cache)")
    print(
        f"gunicorn 2 sync workers on SQLite; {args.clients} SMS clients, one request in flight "
        f"each; {args.seconds:.0f} s without edits, then {args.seconds:.0f} s with one service "
        f"renamed every {args.every:g} s",
        flush=True,
    )
    print(
        f"\n{'services':>9} {'import s':>9} {'warm s':>7} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'edit p50':>9} {'edit p99':>9} {'errors':>7} {'edits':>6} {'page s':>12} "
        f"{'search s':>12} {'RSS MB':>7} {'peak MB':>8}"
    )
    for size in sizes:
        row = measure(size, args.clients, args.seconds, args.every, args.cache)
        quiet, edits = row["quiet"], row["edits"]
        assert isinstance(quiet, Latencies) and isinstance(edits, Latencies)
        print(
            f"{size:>9} {row['import_s']:>9.1f} {row['warm_s']:>7.1f} {quiet.p50_ms:>7.1f} "
            f"{quiet.p99_ms:>7.1f} {edits.p50_ms:>9.1f} {edits.p99_ms:>9.1f} "
            f"{quiet.errors + edits.errors:>7} {row['edit_count']:>6} "
            f"{row['page_median_s']:>5.2f}/{row['page_max_s']:<6.2f} "
            f"{row['search_median_s']:>5.2f}/{row['search_max_s']:<6.2f} "
            f"{row['rss_mb']:>7.0f} {row['peak_rss_mb']:>8.0f}",
            flush=True,
        )
    print(
        "\n(p50/p99: SMS answers without edits, then during edits; page s and search s: "
        "median/worst seconds\nfrom an edit's commit until a worker showed it on the service's "
        "page and in search)"
    )


if __name__ == "__main__":
    main()
