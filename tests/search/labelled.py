"""The labelled resident questions (``tests/data/questions.tsv``) and what counts as right.

Shared by the accuracy test and ``bench/search.py``. A line is ``locale<TAB>question<TAB>
expected``, where expected is a category slug or ``service:<id>``; ``#`` starts a comment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from gateway.directory.queries import get_service
from gateway.search import Hit

QUESTIONS = Path(__file__).resolve().parent.parent / "data" / "questions.tsv"
LOCALES = ("fr", "en", "ar", "es", "pt", "uk")


@dataclass(frozen=True)
class Question:
    locale: str
    question: str
    expected: str


def load_questions(path: Path = QUESTIONS) -> list[Question]:
    rows = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 3 or parts[0] not in LOCALES:
                raise ValueError(f"{path}, line {number}: expected locale, question, expected")
            rows.append(Question(*parts))
    return rows


def is_right(session: Session, hits: Sequence[Hit], expected: str) -> bool:
    """One of the first three hits is the expected service, or of the expected category."""
    top = [hit.service_id for hit in hits[:3]]
    if expected.startswith("service:"):
        return expected.removeprefix("service:") in top
    for service_id in top:
        service = get_service(session, service_id)
        if service is not None and expected in {category.slug for category in service.categories}:
            return True
    return False
