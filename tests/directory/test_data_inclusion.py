"""data·inclusion v1 in and out: the sample imports, exports back valid against the published
schemas, re-imports change nothing, every thematique is reviewed, and bad files are one line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gateway.directory.datainclusion import (
    export_directory,
    import_directory,
    schema_errors,
    thematique_categories,
)
from gateway.directory.hsds import InterchangeError
from gateway.models import AuditEntry, Service

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "data-inclusion"


def test_every_v1_thematique_has_a_reviewed_row() -> None:
    published = {item["value"] for item in json.loads((SAMPLE / "thematiques.json").read_text())}
    table = thematique_categories()
    assert set(table) == published
    assert table["equipement-et-alimentation--alimentation"] == "food"
    assert table["equipement-et-alimentation--electromenager"] is None


def test_sample_imports_with_mapped_categories(session) -> None:  # type: ignore[no-untyped-def]
    report = import_directory(session, SAMPLE)
    assert (report.created, report.updated) == (2, 0)
    food = session.get(Service, "dora--svc1")
    assert [c.slug for c in sorted(food.categories, key=lambda c: c.position)] == [
        "food",
        "clothing",
    ]
    assert food.organization.name == "Centre social des Tilleuls"
    assert [phone.number for phone in food.phones] == ["0299000001"]


def test_export_validates_against_v1(session) -> None:  # type: ignore[no-untyped-def]
    import_directory(session, SAMPLE)
    structures, services = export_directory(session)
    assert {s["id"] for s in structures} == {"dora--s1", "france-travail--ag2"}
    assert {s["id"] for s in services} == {"dora--svc1", "france-travail--svc2"}
    assert list(schema_errors("structure", structures)) == []
    assert list(schema_errors("service", services)) == []


def test_reimport_unchanged_writes_nothing(session) -> None:  # type: ignore[no-untyped-def]
    import_directory(session, SAMPLE)
    entries = session.scalar(select(func.count(AuditEntry.id)))
    report = import_directory(session, SAMPLE)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    assert session.scalar(select(func.count(AuditEntry.id))) == entries


@pytest.mark.parametrize(
    ("name", "index", "field", "value"),
    [
        ("services.json", 2, "frais", "peut-etre"),
        ("services.json", 1, "thematiques.0", "cuisine"),
        ("structures.json", 1, "code_postal", "3500"),
    ],
)
def test_bad_file_is_one_line_and_writes_nothing(  # type: ignore[no-untyped-def]
    session, tmp_path, name, index, field, value
) -> None:
    for file in ("structures.json", "services.json"):
        shutil.copy(SAMPLE / file, tmp_path / file)
    records = json.loads((tmp_path / name).read_text())
    key, _, position = field.partition(".")
    if position:
        records[index - 1][key][int(position)] = value
    else:
        records[index - 1][key] = value
    (tmp_path / name).write_text(json.dumps(records))
    with pytest.raises(InterchangeError) as caught:
        import_directory(session, tmp_path)
    line = str(caught.value)
    assert "\n" not in line
    assert line.startswith(f"{tmp_path / name}: record {index} (id ")
    assert f": {field}: " in line
    assert session.scalar(select(func.count(Service.id))) == 0
