"""data·inclusion v1 in and out: the sample imports, exports back valid against the published
schemas, re-imports change nothing, every thematique is reviewed, and bad files are one line."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from gateway.admin import accounts
from gateway.audit import history
from gateway.directory import operations
from gateway.directory.datainclusion import (
    decide,
    export_directory,
    import_directory,
    pending_changes,
    schema_errors,
    thematique_categories,
)
from gateway.directory.hsds import InterchangeError
from gateway.directory.operations import ServiceData
from gateway.models import AuditEntry, IncomingStatus, Service, User, UserRole

PASSWORD = "correct horse battery staple 42"

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


def _edit_locally(session, service_id: str, name: str) -> User:  # type: ignore[no-untyped-def]
    """A social worker renames the service in the back office."""
    user = accounts.create_user(
        session, "test", accounts.AccountData("worker@example.org", UserRole.ADMIN), PASSWORD
    )
    service = session.get(Service, service_id)
    data = ServiceData.of(service)
    data.texts["fr"] = dataclasses.replace(data.texts["fr"], name=name)
    operations.update_service(session, user, service, data)
    session.flush()
    return user


def _changed_sample(tmp_path: Path) -> Path:
    """The sample as data·inclusion would send it later: both services described anew."""
    services = json.loads((SAMPLE / "services.json").read_text())
    for service in services:
        service["description"] += " Nouveaux horaires en 2026."
    shutil.copy(SAMPLE / "structures.json", tmp_path / "structures.json")
    (tmp_path / "services.json").write_text(json.dumps(services, ensure_ascii=False))
    return tmp_path


def test_local_edit_is_held_not_overwritten(session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_directory(session, SAMPLE)
    _edit_locally(session, "dora--svc1", "Colis et vestiaire des Tilleuls")
    report = import_directory(session, _changed_sample(tmp_path))
    assert report.updated == 1  # the service nobody touched here follows data·inclusion
    assert len(report.held) == 1 and "dora--svc1" in report.held[0]
    edited = session.get(Service, "dora--svc1").text_by_locale()["fr"]
    assert edited.name == "Colis et vestiaire des Tilleuls"
    assert "2026" not in edited.description
    untouched = session.get(Service, "france-travail--svc2").text_by_locale()["fr"]
    assert "2026" in untouched.description


def test_same_file_again_does_not_undo_a_local_edit(  # type: ignore[no-untyped-def]
    session,
) -> None:
    import_directory(session, SAMPLE)
    _edit_locally(session, "dora--svc1", "Colis et vestiaire des Tilleuls")
    # The same file again would undo the rename: it is held, the rename stays.
    report = import_directory(session, SAMPLE)
    assert len(report.held) == 1
    assert session.get(Service, "dora--svc1").text_by_locale()["fr"].name == (
        "Colis et vestiaire des Tilleuls"
    )


def test_cli_imports_then_exports_valid_files(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import", "data-inclusion", str(SAMPLE)])
    assert result.exit_code == 0, result.output
    assert "2 created" in result.output
    result = runner.invoke(args=["export", "data-inclusion", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    for kind, name in (("structure", "structures.json"), ("service", "services.json")):
        records = json.loads((tmp_path / "out" / name).read_text())
        assert records and list(schema_errors(kind, records)) == []


def test_cli_refuses_a_bad_file_in_one_line(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    shutil.copy(SAMPLE / "structures.json", tmp_path / "structures.json")
    (tmp_path / "services.json").write_text('[{"id": "x"}]')
    result = app.test_cli_runner().invoke(args=["import", "data-inclusion", str(tmp_path)])
    assert result.exit_code == 1
    assert f"{tmp_path / 'services.json'}: record 1 (id x): " in result.output


def _held_change(session, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A service edited locally, then described anew by data·inclusion: the social worker
    and the one change held for them."""
    import_directory(session, SAMPLE)
    worker = _edit_locally(session, "dora--svc1", "Colis et vestiaire des Tilleuls")
    import_directory(session, _changed_sample(tmp_path))
    [change] = pending_changes(session)
    assert change.service_id == "dora--svc1"
    return worker, change


def test_accepting_the_held_change_applies_it_and_follows_again(  # type: ignore[no-untyped-def]
    session, tmp_path
) -> None:
    worker, change = _held_change(session, tmp_path)
    decide(session, worker, change, accept=True)
    text = session.get(Service, "dora--svc1").text_by_locale()["fr"]
    assert (text.name, "2026" in text.description) == ("Aide alimentaire et vestiaire", True)
    assert pending_changes(session) == []
    actions = [e.action for e in history(session, "service", "dora--svc1")]
    assert actions[:2] == ["incoming.accepted", "service.update"]
    # Followed again: the next file goes straight in.
    assert import_directory(session, SAMPLE).held == []


def test_rejecting_keeps_the_local_version_and_is_not_asked_again(  # type: ignore[no-untyped-def]
    session, tmp_path
) -> None:
    worker, change = _held_change(session, tmp_path)
    decide(session, worker, change, accept=False)
    assert change.status == IncomingStatus.REJECTED
    assert session.get(Service, "dora--svc1").text_by_locale()["fr"].name == (
        "Colis et vestiaire des Tilleuls"
    )
    import_directory(session, tmp_path)  # the same file again
    assert pending_changes(session) == []
    import_directory(session, SAMPLE)  # something else: asked
    assert len(pending_changes(session)) == 1


def test_hours_come_from_horaires_accueil_and_what_does_not_fit_is_said(  # type: ignore[no-untyped-def]
    session, tmp_path
) -> None:
    report = import_directory(session, SAMPLE)
    # Every other Saturday cannot be weekly hours: none, and a warning naming the record.
    assert session.get(Service, "dora--svc1").schedules == []
    [warning] = report.warnings
    assert warning.startswith(f"{SAMPLE / 'services.json'}: record 1 (dora--svc1): ")
    assert "kept as written only" in warning
    # Without hours of its own, the service has its structure's.
    services = json.loads((SAMPLE / "services.json").read_text())
    del services[0]["horaires_accueil"]
    shutil.copy(SAMPLE / "structures.json", tmp_path / "structures.json")
    (tmp_path / "services.json").write_text(json.dumps(services, ensure_ascii=False))
    report = import_directory(session, tmp_path)
    hours = sorted(
        (s.weekday, s.opens_at.isoformat("minutes"))
        for s in session.get(Service, "dora--svc1").schedules
    )
    assert hours[:2] == [(0, "09:00"), (0, "14:00")] and len(hours) == 10
    assert "public or school holidays" in report.warnings[0]


def test_every_field_sent_comes_back_in_the_export(session) -> None:  # type: ignore[no-untyped-def]
    """What data·inclusion sent (frais, publics, modes d'accueil, zones, hours as written…)
    is given back as it came, but for ``date_maj``: the day of the city's last change."""
    import_directory(session, SAMPLE)
    structures, services = export_directory(session)
    for kind, exported in (("structures", structures), ("services", services)):
        sent = {r["id"]: r for r in json.loads((SAMPLE / f"{kind}.json").read_text())}
        assert {r["id"] for r in exported} == sent.keys()
        for record in exported:
            original = sent[record["id"]]
            differing = {
                key for key in original.keys() | record.keys()
                if key != "date_maj" and original.get(key) != record.get(key)
            }  # fmt: skip
            assert differing == set(), (kind, record["id"], differing)
