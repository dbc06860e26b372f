"""Streamed HSDS imports (``import_stream``, ``guichet import hsds``) against real databases.

A file goes in batch by batch, each committed: every service gets its own trail entry, a
bad record is refused alone, a re-run changes nothing, where the batches fall changes
nothing, a file that breaks off keeps the batches before it, and the result is the one the
all-at-once import gives on the same files.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from gateway.cli import DEMO_SERVICES
from gateway.directory import queries
from gateway.directory.hsds import (
    HsdsFile,
    ImportReport,
    ImportStopped,
    export_services,
    import_services,
    import_stream,
    read_hsds_file,
)
from gateway.directory.queries import directory_snapshot
from gateway.models import (
    AuditEntry,
    Category,
    DirectoryChange,
    DirectoryVersion,
    Service,
    TextStatus,
)
from tests.directory.test_hsds import (
    example_records,
    uid,
    valid_record,
    wipe_directory,
    without_last_modified,
)


def write(path: Path, records: list[Any]) -> Path:
    path.write_text(json.dumps(records, ensure_ascii=False), "utf-8")
    return path


def stream(session: Session, path: Path, batch_size: int, **kwargs: Any) -> ImportReport:
    return import_stream(session, HsdsFile(path), source=str(path), batch_size=batch_size, **kwargs)


def entries_since(session: Session, after: int) -> list[AuditEntry]:
    return list(
        session.scalars(select(AuditEntry).where(AuditEntry.id > after).order_by(AuditEntry.id))
    )


def last_entry_id(session: Session) -> int:
    return session.scalar(select(func.max(AuditEntry.id))) or 0


def version(session: Session) -> int:
    return session.scalar(select(DirectoryVersion.version)) or 0


def test_a_file_imports_every_service_batch_by_batch_with_its_entries(session, tmp_path) -> None:
    records = [valid_record(n) for n in range(1, 11)]
    start, before = last_entry_id(session), version(session)
    batches: list[ImportReport] = []

    report = stream(session, write(tmp_path / "ten.json", records), 4, progress=batches.append)

    assert (report.created, report.updated, report.unchanged, report.rejected) == (10, 0, 0, [])
    assert [b.created for b in batches] == [4, 4, 2]
    entries = entries_since(session, start)
    assert [e.entity_id for e in entries if e.action == "service.create"] == [
        r["id"] for r in records
    ]
    assert [e.details["created"] for e in entries if e.action == "import"] == [4, 4, 2]
    # One version per committed batch, each logging its services for running processes.
    assert version(session) == before + 3
    logged = session.execute(
        select(DirectoryChange.version, func.count()).group_by(DirectoryChange.version)
    ).all()
    assert [(v - before, n) for v, n in sorted(logged) if v > before] == [(1, 4), (2, 4), (3, 2)]


def test_a_running_process_follows_each_batch_without_a_whole_rebuild(
    session, tmp_path, monkeypatch
) -> None:
    directory_snapshot(session)  # the process has read the directory
    reloaded: list[list[str] | None] = []
    real = queries.load_facts

    def counting(connection, service_ids=None):  # type: ignore[no-untyped-def]
        reloaded.append(None if service_ids is None else sorted(service_ids))
        return real(connection, service_ids)

    monkeypatch.setattr(queries, "load_facts", counting)
    records = [valid_record(n) for n in range(1, 6)]

    stream(session, write(tmp_path / "five.json", records), 2, progress=lambda _: (
        directory_snapshot(session)  # a request between two batches
    ))  # fmt: skip

    assert sorted(directory_snapshot(session).services) == sorted(r["id"] for r in records)
    assert reloaded == [sorted(r["id"] for r in records[k : k + 2]) for k in (0, 2, 4)]


def test_running_the_same_file_again_changes_nothing(session, tmp_path) -> None:
    path = write(tmp_path / "five.json", [valid_record(n) for n in range(1, 6)])
    stream(session, path, 2)
    start, before = last_entry_id(session), version(session)

    again = stream(session, path, 2)

    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)
    assert entries_since(session, start) == []
    assert version(session) == before


def test_a_bad_record_is_refused_alone_and_the_rest_imports(session, tmp_path) -> None:
    session.execute(delete(Category).where(Category.slug == "clothing"))
    bad_time, bad_category = valid_record(3), valid_record(6)
    bad_time["schedules"][0]["opens_at"] = "25:99"
    bad_category["attributes"][0]["taxonomy_term"]["code"] = "clothing"
    records = [valid_record(n) for n in (1, 2)] + [bad_time] + [valid_record(n) for n in (4, 5)]
    records += [bad_category, valid_record(7)]
    path = write(tmp_path / "partner.json", records)

    report = stream(session, path, 3)

    assert report.rejected == [
        f"{path}: record 3 (id {bad_time['id']}): schedules[0].opens_at: not a time: '25:99'",
        f"{path}: record 6 (id {bad_category['id']}): categories: unknown categories clothing",
    ]
    assert report.created == 5
    imported = set(session.scalars(select(Service.id)))
    assert imported == {r["id"] for r in records} - {bad_time["id"], bad_category["id"]}
    # The refused record's ids are free for the record that fixes it.
    bad_time["schedules"][0]["opens_at"] = "09:00"
    fixed = stream(session, write(tmp_path / "fixed.json", [bad_time]), 3)
    assert (fixed.created, fixed.rejected) == (1, [])


def test_a_record_listed_twice_across_batches_is_refused(session, tmp_path) -> None:
    records = [valid_record(1), valid_record(2), valid_record(1)]
    records[2]["name"] = "Doublon"
    path = write(tmp_path / "twice.json", records)

    report = stream(session, path, 2)

    assert report.rejected == [
        f"{path}: record 3 (id {uid(1, 'service')}): id: "
        f"'{uid(1, 'service')}' is already used by record 1"
    ]
    assert session.get(Service, uid(1, "service")).text_by_locale()["fr"].name == "Épicerie 1"


def test_an_organization_described_in_a_later_batch_is_waited_for(session, tmp_path) -> None:
    first, unknown = valid_record(1), valid_record(2)
    del first["organization"]
    first["organization_id"] = uid(3, "org")
    del unknown["organization"]
    unknown["organization_id"] = "nobody"
    path = write(tmp_path / "forward.json", [first, unknown, valid_record(3)])

    report = stream(session, path, 1)

    assert report.created == 2
    assert report.rejected == [
        f"{path}: record 2 (id {unknown['id']}): organization_id: unknown organization 'nobody'"
    ]
    assert session.get(Service, first["id"]).organization.name == "Association 3"


def shared_place_records() -> list[dict[str, Any]]:
    """Services sharing places and organisations, one naming an organisation described
    later: what a batch boundary could split."""
    records = [valid_record(n) for n in range(1, 8)]
    for n, record in enumerate(records):
        record["service_at_locations"] = copy.deepcopy(records[n % 3]["service_at_locations"])
        record["service_at_locations"][0]["id"] = uid(n, "shared sal")
        if n % 2:
            del record["organization"]
            record["organization_id"] = uid(7, "org")
    return records


def trail_by_service(entries: list[AuditEntry]) -> dict[str, tuple[list[str], set[str]]]:
    found: dict[str, tuple[list[str], set[str]]] = {}
    for entry in entries:
        if entry.entity_type in ("service", "organization"):
            actions, fields = found.setdefault(str(entry.entity_id), ([], set()))
            actions.append(entry.action)
            fields.update(entry.changes)
    return found


def test_where_the_batches_fall_changes_nothing(session, tmp_path) -> None:
    records = shared_place_records()
    changed = copy.deepcopy(records)
    for n in (0, 3, 6):  # the three records at the first place
        changed[n]["service_at_locations"][0]["location"]["name"] = "Nouveau local"
    changed[4]["description"] = "Autre texte. Pour voir."
    first, second = write(tmp_path / "v1.json", records), write(tmp_path / "v2.json", changed)
    outcomes = []
    for batch_size in (1000, 1, 2, 3):
        wipe_directory(session)
        stream(session, first, batch_size)
        start = last_entry_id(session)
        report = stream(session, second, batch_size)
        outcomes.append(
            (
                (report.created, report.updated, report.unchanged, report.rejected),
                without_last_modified(export_services(session)),
                trail_by_service(entries_since(session, start)),
            )
        )

    assert outcomes[0][0] == (0, 4, 3, [])
    assert set(outcomes[0][2]) == {records[n]["id"] for n in (0, 3, 6, 4)}
    assert all(outcome == outcomes[0] for outcome in outcomes[1:])


def test_the_translation_review_rule_holds_in_a_streamed_import(session, tmp_path) -> None:
    record = valid_record(1)
    stream(session, write(tmp_path / "a.json", [record, valid_record(2)]), 1)
    record["description"] = "Colis alimentaires le mardi. Sans rendez-vous."

    stream(session, write(tmp_path / "b.json", [valid_record(2), record]), 1)

    texts = session.get(Service, record["id"]).text_by_locale()
    assert (texts["fr"].status, texts["en"].status) == (TextStatus.DONE, TextStatus.NEEDS_REVIEW)


def test_a_file_that_breaks_off_keeps_the_batches_before_it(session, tmp_path) -> None:
    records = [valid_record(n) for n in range(1, 6)]
    whole = json.dumps(records)
    path = tmp_path / "cut.json"
    path.write_text(whole[: whole.index(records[4]["id"]) + 10], "utf-8")

    with pytest.raises(ImportStopped) as stopped:
        stream(session, path, 2)

    assert str(stopped.value).startswith(f"{path}: not JSON: line 1 column ")
    assert stopped.value.report.created == 4
    assert session.scalar(select(func.count()).select_from(Service)) == 4
    write(path, records)  # the whole file this time
    again = stream(session, path, 2)
    assert (again.created, again.updated, again.unchanged) == (1, 0, 4)


@pytest.mark.parametrize(
    "name", ["demo", "service_full.json", "service_list.json", "organization_full.json"]
)
def test_the_streamed_import_gives_what_the_list_import_gives(session, tmp_path, name) -> None:
    if name == "demo":
        path = DEMO_SERVICES
        records = read_hsds_file(path)
    else:
        records = example_records(name)
        path = write(tmp_path / name, records)
    wipe_directory(session)
    at_once = import_services(session, copy.deepcopy(records), source=str(path))
    expected = without_last_modified(export_services(session))
    wipe_directory(session)

    streamed = stream(session, path, 7)

    assert (streamed.created, streamed.updated, streamed.unchanged) == (at_once.created, 0, 0)
    assert streamed.warnings == at_once.warnings
    assert without_last_modified(export_services(session)) == expected


def test_a_page_and_a_single_service_stream_too(tmp_path) -> None:
    page = tmp_path / "page.json"
    page.write_text(json.dumps({"total_items": 2, "contents": [{"id": "a"}, {"id": "b"}]}))
    single = tmp_path / "single.json"
    single.write_text(json.dumps({"id": "a", "contents_note": "x", "name": "Un"}), "utf-8")

    assert [r["id"] for r in HsdsFile(page)] == ["a", "b"]
    assert list(HsdsFile(single)) == [{"id": "a", "contents_note": "x", "name": "Un"}]
