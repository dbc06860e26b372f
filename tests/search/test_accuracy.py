"""Top-3 accuracy on the labelled resident questions over the demo city (tests/data)."""

from __future__ import annotations

from datetime import UTC, datetime

from gateway.db import db
from gateway.search import search
from tests.search.labelled import LOCALES, is_right, load_questions

TARGET = 0.90
# A Wednesday morning: most places are open, some are not.
AT = datetime(2026, 11, 18, 9, 30, tzinfo=UTC)


def test_questions_cover_every_language():
    rows = load_questions()
    assert len(rows) >= 240
    for locale in LOCALES:
        assert sum(1 for row in rows if row.locale == locale) >= 35, locale


def test_top_three_accuracy(demo_app):
    session = db.session
    rows = load_questions()
    right: dict[str, int] = dict.fromkeys(LOCALES, 0)
    total: dict[str, int] = dict.fromkeys(LOCALES, 0)
    misses = []
    for row in rows:
        result = search(session, row.question, at=AT, timezone="Europe/Paris", limit=3)
        total[row.locale] += 1
        if is_right(session, result.hits, row.expected):
            right[row.locale] += 1
        else:
            misses.append(f"{row.locale}\t{row.question}\t{row.expected}\t{result.categories}")
    overall = sum(right.values()) / len(rows)
    per_language = ", ".join(f"{loc} {right[loc] / total[loc]:.0%}" for loc in LOCALES)
    assert overall >= TARGET, (
        f"top-3 accuracy {overall:.1%} < {TARGET:.0%} ({per_language}); misses:\n"
        + "\n".join(misses)
    )
