"""How the directory grows: import time per service and the memory of the loaded process.

Builds synthetic HSDS directories of 1k, 10k and 100k services, imports each into a fresh
SQLite database through the same code as ``guichet import hsds``, then loads every listed
service as the channels do. Each size runs in a process of its own so that memory figures
don't mix. Run: ``.venv/bin/python bench/directory.py [--sizes 1000,10000]``.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

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


def synthetic_services(count: int, seed: int = 7) -> list[dict]:
    """HSDS service objects shaped like the demo city's, deterministic for ``seed``."""
    from gateway.models import CATEGORY_SLUGS

    rng = random.Random(seed)
    locations = max(1, count // 3)
    records = []
    for n in range(count):
        district, postcode = DISTRICTS[n % len(DISTRICTS)]
        loc = n % locations
        name = f"{rng.choice(WORDS).capitalize()} {rng.choice(WORDS)} {n}"
        days = rng.sample(range(7), rng.randint(1, 6))
        records.append(
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
                    "name": f"Lieu {loc}", "latitude": 47.9 + rng.uniform(-0.02, 0.02),
                    "longitude": 1.9 + rng.uniform(-0.03, 0.03),
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
    return records


def measure(count: int) -> dict[str, float]:
    """Import ``count`` services into a fresh SQLite file and load them back."""
    from datetime import UTC, datetime

    from gateway import create_app
    from gateway.db import db
    from gateway.directory.hsds import import_services
    from gateway.directory.queries import listed_services, service_card
    from gateway.migrations import upgrade

    records = synthetic_services(count)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.sqlite3"
        upgrade(url)
        app = create_app({"TESTING": True, "DATABASE_URL": url})
        with app.app_context():
            started = time.perf_counter()
            import_services(db.session, records, source="bench")
            db.session.commit()
            import_seconds = time.perf_counter() - started
            db.session.close()
            started = time.perf_counter()
            services = listed_services(db.session)
            now = datetime.now(UTC)
            cards = [service_card(s, "fr", now, "Europe/Paris") for s in services]
            load_seconds = time.perf_counter() - started
            assert len(cards) == count
    return {
        "services": count,
        "import_ms_per_service": 1000 * import_seconds / count,
        "load_ms_per_service": 1000 * load_seconds / count,
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one)))
        return
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(size)], capture_output=True, text=True
        )
        if out.returncode != 0:
            sys.exit(f"size {size} failed:\n{out.stderr}")
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    base = rows[0]
    print(f"{'services':>9} {'import ms/svc':>14} {'load ms/svc':>12} {'max RSS MB':>11} "
          f"{'RSS x':>6} {'import x':>9}")  # fmt: skip
    for row in rows:
        print(
            f"{row['services']:>9} {row['import_ms_per_service']:>14.3f} "
            f"{row['load_ms_per_service']:>12.3f} {row['max_rss_mb']:>11.1f} "
            f"{row['max_rss_mb'] / base['max_rss_mb']:>6.1f} "
            f"{row['import_ms_per_service'] / base['import_ms_per_service']:>9.2f}"
        )
    print("(x: ratio to the smallest size; per-service import time should stay flat)")


if __name__ == "__main__":
    main()
