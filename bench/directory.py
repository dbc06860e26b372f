"""How the directory grows: import time per service and the memory of the importing process.

Writes synthetic HSDS files of 1k, 10k and 100k services, then imports each into a fresh
database, SQLite and PostgreSQL, through ``guichet import hsds``'s own code
(``import_hsds_path``: the file streamed, batches committed), then loads every listed service
as the channels do. Each size and backend runs in a process of its own that only reads the
file, so that its peak RSS is the import's: it must not grow with the file (compare 10k and
100k). Run: ``.venv/bin/python bench/directory.py [--sizes 1000,10000] [--backends sqlite]``
(PostgreSQL: ``BENCH_DATABASE_URL``, default the tests' server, in a schema of its own).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_SCHEMA = "bench_directory"

DISTRICTS = [
    ("Centre-ville", "45100"),
    ("La Gare", "45100"),
    ("Les Tilleuls", "45130"),
    ("Saint-Martin", "45130"),
    ("Les Hauts-de-Lisle", "45160"),
    ("Le Port", "45160"),
]
WORDS = "repas douche accueil écoute droits emploi papiers vêtements santé enfants".split()


def _id(*parts: object) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "bench:" + ":".join(map(str, parts))))


def synthetic_services(count: int, seed: int = 7) -> Iterator[dict]:
    """HSDS service objects shaped like the demo city's, deterministic for ``seed``."""
    from gateway.models import CATEGORY_SLUGS

    rng = random.Random(seed)
    locations = max(1, count // 3)
    for n in range(count):
        loc = n % locations  # a place shared by three services, the same in each record
        district, postcode = DISTRICTS[loc % len(DISTRICTS)]
        name = f"{rng.choice(WORDS).capitalize()} {rng.choice(WORDS)} {n}"
        days = rng.sample(range(7), rng.randint(1, 6))
        yield (
            {
                "id": _id("service", n),
                "name": name,
                "description": f"{name}: un service de test.",
                "status": "active",
                "organization": {"id": _id("org", n % 200), "name": f"Org {n % 200}",
                                 "description": ""},
                "phones": [{"id": _id("phone", n), "number": f"+332619{n % 100000:05d}",
                            "type": "voice"}],
                "schedules": [
                    {"id": _id("schedule", n, d), "freq": "WEEKLY", "wkst": "MO",
                     "byday": "MO TU WE TH FR SA SU".split()[d], "opens_at": "09:00",
                     "closes_at": "17:00"}
                    for d in days
                ],
                "service_at_locations": [{"id": _id("sal", n), "location": {
                    "id": _id("location", loc), "location_type": "physical",
                    "name": f"Lieu {loc}", "latitude": 47.9 + (loc % 41 - 20) / 1000,
                    "longitude": 1.9 + (loc % 61 - 30) / 1000,
                    "addresses": [{"id": _id("address", loc), "address_1": f"{loc} rue Haute",
                                   "city": "Val-de-Lisle", "region": district,
                                   "state_province": "Loiret", "postal_code": postcode,
                                   "country": "FR", "address_type": "physical"}]}}],
                "languages": [{"id": _id("lang", n), "name": "Français", "code": "fr"}],
                "attributes": [
                    {"id": _id("attr", n, slug), "taxonomy_term": {
                        "id": _id("term", slug), "code": slug, "name": slug,
                        "description": slug, "taxonomy": "guichet"}}
                    for slug in rng.sample(CATEGORY_SLUGS, 2)
                ],
                "x_guichet": {"translations": {
                    "fr": {"name": name, "summary": f"{name}, ouvert à tous."},
                    "en": {"name": name, "summary": f"{name}, open to all."},
                }},
            }
        )  # fmt: skip


def write_file(path: Path, count: int) -> None:
    """The synthetic directory as a JSON list, written a record at a time."""
    with path.open("w", encoding="utf-8") as out:
        out.write("[")
        for n, record in enumerate(synthetic_services(count)):
            out.write(("," if n else "") + "\n" + json.dumps(record, ensure_ascii=False))
        out.write("\n]\n")


def database_url(backend: str, tmp: str) -> str:
    """A fresh, migrated database of ``backend``."""
    from sqlalchemy import create_engine, make_url, text

    from gateway.migrations import upgrade

    if backend == "sqlite":
        url = f"sqlite:///{tmp}/bench.sqlite3"
    else:
        base = os.environ.get("BENCH_DATABASE_URL", PG_URL)
        engine = create_engine(base)
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{PG_SCHEMA}" CASCADE'))
            connection.execute(text(f'CREATE SCHEMA "{PG_SCHEMA}"'))
        engine.dispose()
        url = (
            make_url(base)
            .update_query_dict({"options": f"-csearch_path={PG_SCHEMA}"})
            .render_as_string(hide_password=False)
        )
    upgrade(url)
    return url


def measure(path: Path, backend: str) -> dict[str, float]:
    """Import the file into a fresh database of ``backend`` and load it back."""
    from datetime import UTC, datetime

    from gateway import create_app
    from gateway.cli import import_hsds_path
    from gateway.db import db
    from gateway.directory.queries import listed_services, service_card

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"TESTING": True, "DATABASE_URL": database_url(backend, tmp)})
        with app.app_context():
            started = time.perf_counter()
            summary = import_hsds_path(path)
            import_seconds = time.perf_counter() - started
            import_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            count = int(summary.split(": ")[1].split()[0])
            started = time.perf_counter()
            services = listed_services(db.session)
            now = datetime.now(UTC)
            cards = [service_card(s, "fr", now, "Europe/Paris") for s in services]
            load_seconds = time.perf_counter() - started
            assert len(cards) == count, summary
            db.session.close()
            db.engine.dispose()
    return {
        "services": count,
        "import_ms_per_service": 1000 * import_seconds / count,
        "import_seconds": import_seconds,
        "import_rss_mb": import_rss,
        "load_ms_per_service": 1000 * load_seconds / count,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        logging.disable(logging.INFO)
        print(json.dumps(measure(Path(args.one[0]), args.one[1])))
        return
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    print(f"{'backend':>10} {'services':>9} {'file MB':>8} {'import s':>9} {'ms/svc':>7} "
          f"{'import RSS MB':>14} {'load ms/svc':>12}")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        for size in (int(s) for s in args.sizes.split(",")):
            path = Path(tmp) / f"services-{size}.json"
            write_file(path, size)
            for backend in args.backends.split(","):
                out = subprocess.run(
                    [sys.executable, __file__, "--one", str(path), backend],
                    capture_output=True,
                    text=True,
                )
                if out.returncode != 0:
                    sys.exit(f"{backend} {size} failed:\n{out.stderr}")
                row = json.loads(out.stdout.strip().splitlines()[-1])
                print(
                    f"{backend:>10} {row['services']:>9} {path.stat().st_size / 1e6:>8.1f} "
                    f"{row['import_seconds']:>9.1f} {row['import_ms_per_service']:>7.2f} "
                    f"{row['import_rss_mb']:>14.1f} {row['load_ms_per_service']:>12.3f}",
                    flush=True,
                )
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    print("(import RSS: the importing process's peak, before the load; it should not grow")
    print(" with the file, and ms/svc should stay flat)")


if __name__ == "__main__":
    main()
