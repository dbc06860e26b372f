"""Search speed and quality: latency and memory at 1k, 10k and 100k services, and top-3
accuracy per language on the labelled questions over the demo city.

Synthetic directories are generated in memory and indexed through the same code as the app
(:class:`gateway.search.index.SearchIndex` over plain records); queries go through the same
analyse/score/rank path as :func:`gateway.search.search`, less its two small SQL queries
(the version stamp, and an area's centre when the text names one). One core, one process;
latency is the thread's CPU time, so other work on the machine does not count. Then the time
the index takes to follow an edit of one service (:meth:`SearchIndex.following`).
Run: ``.venv/bin/python bench/search.py [--sizes 1000,10000] [--queries 3000]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import math
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gateway.directory.hours import WeeklyRange  # noqa: E402
from gateway.directory.queries import Area  # noqa: E402
from gateway.models import CATEGORY_SLUGS  # noqa: E402
from gateway.search.api import answer  # noqa: E402
from gateway.search.index import SearchIndex  # noqa: E402
from gateway.search.records import Place, ServiceRecord  # noqa: E402
from gateway.search.vocabulary import Vocabulary, load_vocabulary  # noqa: E402

TIMEZONE = "Europe/Paris"
TARGETS_MS = {10_000: 10.0, 100_000: 25.0}
EDITS = 30

# What services are called and say, per category: a few real words each, so that queries
# hit realistic posting lists; fillers and invented proper names make up the rest.
TOPICS = {
    "food": "repas épicerie solidaire colis alimentaire distribution panier petit-déjeuner",
    "shelter": "hébergement accueil nuit abri halte lits urgence logement foyer",
    "health": "santé soins médecin consultation dentiste pharmacie vaccination dépistage",
    "hygiene": "douches laverie hygiène bains lessive toilettes kits sanitaires",
    "rights": "droits juridique avocat permanence justice accès conseil litiges",
    "admin": "démarches administratives papiers domiciliation dossiers allocations écrivain",
    "jobs": "emploi insertion formation chantier atelier cv recrutement orientation",
    "digital": "numérique ordinateurs internet impression atelier médiation recharge",
    "clothing": "vestiaire vêtements friperie chaussures manteaux linge boutique",
    "elderly": "seniors personnes âgées visites portage club aînés autonomie",
    "family": "familles enfants parents crèche périnatalité ludothèque soutien scolaire",
    "language": "français cours alphabétisation conversation ateliers langue lecture",
    "violence": "violences femmes victimes écoute accompagnement hébergement protection",
    "transport": "transport mobilité navette tickets vélos solidaire garage permis",
    "listening": "écoute parole soutien psychologique accueil groupe entraide",
    "emergency": "urgence samu secours permanence nuit maraude médicale",
}
FILLERS = (
    "accueil sans rendez-vous gratuit pour toutes personnes ville quartier le la les du des "
    "une un avec sur orientation équipe bénévoles association municipale centre maison espace "
    "point service social solidarité public semaine matin après-midi soir journée lieu aide "
    "information inscription accompagnement personnalisé adultes jeunes familles seniors"
).split()
SYLLABLES = "ba be bi bo lu la li mo ma ri ro sa so ta te ti va ve ni no da de".split()
TRANSLATED = {"en": "Service", "ar": "خدمة", "es": "Servicio", "pt": "Serviço", "uk": "Служба"}


def _invented(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()


def synthetic_records(count: int, seed: int = 11) -> list[ServiceRecord]:
    """``count`` services over ``count // 300 + 6`` districts, deterministic for ``seed``.

    Proper names come from a pool that grows like the square root of the directory
    (Heaps' law: a real directory's vocabulary grows, but slower than its size).
    """
    rng = random.Random(seed)
    proper = [_invented(rng) for _ in range(int(30 * math.sqrt(count)))]
    districts = [
        (f"Quartier {rng.choice(proper)}", f"{45100 + n:05d}") for n in range(count // 300 + 6)
    ]
    records = []
    for n in range(count):
        categories = tuple(rng.sample(CATEGORY_SLUGS, rng.choice((1, 1, 1, 2, 3))))
        topic = TOPICS[categories[0]].split()
        name = f"{rng.choice(topic).capitalize()} {rng.choice(proper)} {rng.choice(FILLERS)}"
        summary = " ".join(rng.choices(topic, k=3) + rng.choices(FILLERS, k=6))
        description = " ".join(rng.choices(topic, k=6) + rng.choices(FILLERS, k=24))
        texts = {"fr": {"name": name, "summary": summary, "description": description}}
        for locale in rng.sample(list(TRANSLATED), rng.randint(0, 3)):
            texts[locale] = {"name": f"{TRANSLATED[locale]} {n}", "summary": "", "description": ""}
        district, postcode = rng.choice(districts)
        opens = rng.choice((8, 9, 10, 14, 18))
        ranges = tuple(
            WeeklyRange(day, clock(opens), clock((opens + rng.choice((3, 4, 8, 14))) % 24))
            for day in sorted(rng.sample(range(7), rng.randint(1, 7)))
        )
        records.append(
            ServiceRecord(
                id=f"{n:08d}-bench",
                texts=texts,
                organization=f"Association {rng.choice(proper)}",
                categories=categories,
                places=(
                    Place(
                        postcode,
                        district,
                        47.9 + rng.uniform(-0.05, 0.05),
                        1.9 + rng.uniform(-0.05, 0.05),
                    ),
                ),
                ranges=ranges,
                active=rng.random() > 0.03,
            )
        )
    return records


def _typo(rng: random.Random, text: str) -> str:
    """One slip of the thumb in a word long enough to forgive it."""
    words = text.split()
    long = [i for i, w in enumerate(words) if len(w) >= 5]
    if not long:
        return text
    i = rng.choice(long)
    word = words[i]
    at = rng.randrange(1, len(word) - 1)
    words[i] = rng.choice(
        (word[:at] + word[at + 1 :], word[:at] + word[at + 1] + word[at] + word[at + 2 :])
    )
    return " ".join(words)


def synthetic_queries(
    count: int, records: list[ServiceRecord], vocabulary: Vocabulary, seed: int = 5
) -> list[str]:
    """What residents send: vocabulary phrases in every language, often with a typo or a
    district, names of places, a few words of a service's text, and some noise."""
    rng = random.Random(seed)
    phrases = [entry.phrase for entry in vocabulary.entries]
    stopwords = sorted(word for words in vocabulary.stopwords.values() for word in words)
    queries = []
    for _ in range(count):
        kind = rng.random()
        record = rng.choice(records)
        if kind < 0.45:
            query = " ".join(rng.sample(stopwords, 2) + [rng.choice(phrases)])
        elif kind < 0.6:
            query = f"{rng.choice(phrases)} {record.places[0].district}"
        elif kind < 0.8:
            query = " ".join(record.texts["fr"]["name"].split()[:2])
        elif kind < 0.93:
            query = " ".join(rng.sample(record.texts["fr"]["summary"].split(), 3))
        else:
            query = " ".join(rng.sample(stopwords, 3))
        queries.append(_typo(rng, query) if rng.random() < 0.3 else query)
    return queries


def resident_bytes() -> int:
    """The process's resident memory now (Linux); the index's cost is the growth."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def bench_size(size: int, query_count: int, vocabulary: Vocabulary) -> None:
    records = synthetic_records(size)
    queries = synthetic_queries(query_count, records, vocabulary)
    gc.collect()
    before = resident_bytes()
    started = time.perf_counter()
    index = SearchIndex(records, vocabulary)
    build_s = time.perf_counter() - started
    gc.collect()
    memory_mb = (resident_bytes() - before) / 2**20
    rng = random.Random(3)
    # Queries arrive in time order over a Wednesday, as a process would serve them.
    day = datetime(2025, 3, 11, 23, 0, tzinfo=UTC)
    step = timedelta(days=1) / len(queries)
    area = Area(None, records[0].places[0].district, 47.9, 1.9)
    latencies = []
    hits = 0
    for number, query in enumerate(queries):
        at = day + number * step
        started = time.thread_time()
        result = answer(
            index,
            index.analyse(query),
            at=at,
            timezone=TIMEZONE,
            area=area if rng.random() < 0.3 else None,
            limit=50,
        )
        latencies.append((time.thread_time() - started) * 1000)
        hits += bool(result.hits)
    cuts = statistics.quantiles(latencies, n=100)
    edits = edit_milliseconds(index, records)
    target = TARGETS_MS.get(size)
    verdict = "" if target is None else f"  (target p95 ≤ {target:g} ms: "
    if target is not None:
        verdict += ("met" if cuts[94] <= target else "MISSED") + ")"
    print(
        f"{size:>7,} services  build {build_s:6.2f} s  index +{memory_mb:6.1f} MB RSS  "
        f"p50 {cuts[49]:6.2f} ms  p95 {cuts[94]:6.2f} ms  max {max(latencies):7.2f} ms  "
        f"answered {hits / len(queries):4.0%} of {len(queries)}{verdict}\n"
        f"{'':>16} an edit applied to the index: p50 {statistics.median(edits):6.2f} ms  "
        f"max {max(edits):6.2f} ms (of {len(edits)})"
    )


def edit_milliseconds(index: SearchIndex, records: list[ServiceRecord]) -> list[float]:
    """How long the index takes to follow one service renamed (as the app's does after an
    edit), for a few services in turn."""
    rng = random.Random(13)
    spent = []
    for n in range(EDITS):
        record = rng.choice(records)
        texts = {**record.texts, "fr": {**record.texts["fr"], "name": f"Service {n} renommé"}}
        renamed = dataclasses.replace(record, texts=texts)
        started = time.thread_time()
        index = index.following({record.id: renamed})
        spent.append((time.thread_time() - started) * 1000)
    return spent


def demo_accuracy() -> None:
    """Top-3 accuracy per language over the demo city, imported into a temporary SQLite
    through ``guichet``'s import code, on the labelled questions of the test suite."""
    from gateway import create_app
    from gateway.cli import DEMO_SERVICES, import_hsds_path
    from gateway.db import db
    from gateway.migrations import upgrade
    from gateway.search import search
    from tests.search.labelled import LOCALES, is_right, load_questions

    right = dict.fromkeys(LOCALES, 0)
    total = dict.fromkeys(LOCALES, 0)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/demo.sqlite3"
        upgrade(url)
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "REDIS_URL": None})
        with app.app_context():
            import_hsds_path(DEMO_SERVICES)
            at = datetime(2026, 11, 18, 9, 30, tzinfo=UTC)
            for row in load_questions():
                result = search(db.session, row.question, at=at, timezone=TIMEZONE, limit=3)
                total[row.locale] += 1
                right[row.locale] += is_right(db.session, result.hits, row.expected)
            db.engine.dispose()
    overall = sum(right.values()) / sum(total.values())
    parts = "  ".join(f"{loc} {right[loc] / total[loc]:.0%} ({total[loc]})" for loc in LOCALES)
    print(f"top-3 accuracy over the demo city: {overall:.1%} (target ≥ 90%)  {parts}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--queries", type=int, default=3000)
    args = parser.parse_args()
    vocabulary = load_vocabulary()
    for size in (int(part) for part in args.sizes.split(",")):
        bench_size(size, args.queries, vocabulary)
    demo_accuracy()


if __name__ == "__main__":
    main()
