"""The per-process snapshot follows the change log: an edit reloads the services it changed,
and a whole build never holds up a request that has a snapshot to answer from."""

from __future__ import annotations

import threading
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Connection, select

from gateway.directory import operations, queries
from gateway.directory.operations import (
    OrganizationData,
    ServiceData,
    archive_service,
    update_organization,
    update_service,
)
from gateway.directory.queries import (
    DirectoryFollower,
    DirectorySnapshot,
    category_counts,
    directory_snapshot,
    read_snapshot,
)
from gateway.models import DirectoryChange, DirectoryVersion
from gateway.search import api
from gateway.search.api import build_index, search
from gateway.search.index import SearchIndex

TZ = "Europe/Paris"
MONDAY_10H = datetime(2026, 11, 30, 10, 0, tzinfo=ZoneInfo(TZ))


def rename(session, service, name: str) -> None:  # type: ignore[no-untyped-def]
    data = ServiceData.of(service)
    data.texts["fr"].name = name
    update_service(session, "cli", service, data)
    session.commit()


def version_and_log_start(session) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    row = session.execute(select(DirectoryVersion.version, DirectoryVersion.log_start)).one()
    return row.version, row.log_start


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[list[str] | None]:
    """Each load of facts, by the services asked for (None: the whole directory)."""
    seen: list[list[str] | None] = []
    real = queries.load_facts

    def counting(connection: Connection, service_ids=None):  # type: ignore[no-untyped-def]
        seen.append(None if service_ids is None else sorted(service_ids))
        return real(connection, service_ids)

    monkeypatch.setattr(queries, "load_facts", counting)
    return seen


def test_an_edit_is_seen_on_the_next_request_by_search_too(make_service, session) -> None:
    service = make_service("Bains du Canal", categories=("hygiene",))
    session.commit()
    assert search(session, "bains du canal", at=MONDAY_10H, timezone=TZ).hits
    rename(session, service, "Petit Jardin")
    snapshot = directory_snapshot(session)
    assert snapshot.services[service.id].text("name", "fr").text == "Petit Jardin"
    result = search(session, "petit jardin", at=MONDAY_10H, timezone=TZ)
    assert [hit.service_id for hit in result.hits] == [service.id]


def test_an_edit_brings_the_index_up_to_date_without_a_whole_build(
    make_service, session, monkeypatch: pytest.MonkeyPatch
) -> None:
    builds: list[int] = []

    class Counted(SearchIndex):
        def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
            builds.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(api, "SearchIndex", Counted)
    service = make_service("Bains du Canal", categories=("hygiene",))
    make_service("Douches du Port", categories=("hygiene",))
    session.commit()
    assert search(session, "bains du canal", at=MONDAY_10H, timezone=TZ).hits
    assert builds == [1], "a process's first search builds its index"
    rename(session, service, "Petit Jardin")
    found = search(session, "petit jardin", at=MONDAY_10H, timezone=TZ)
    assert [hit.service_id for hit in found.hits] == [service.id]
    [old_name] = search(session, "canal", at=MONDAY_10H, timezone=TZ).hits
    assert old_name.reasons == ("word:canal",), "in its summary still, no longer in its name"
    assert builds == [1], "the edit was applied to the index, not built whole"


def test_category_counts_follow_edits(make_service, session) -> None:
    moved = make_service("Repas", categories=("food",))
    archived = make_service("Épicerie", categories=("food", "family"))
    session.commit()
    before = category_counts(session)
    assert (before["food"], before["family"], before["hygiene"]) == (2, 1, 0)
    data = ServiceData.of(moved)
    data.categories = ["hygiene"]
    update_service(session, "cli", moved, data)
    archive_service(session, "cli", archived)
    session.commit()
    after = category_counts(session)
    assert (after["food"], after["family"], after["hygiene"]) == (0, 0, 1)


def test_only_the_changed_services_are_reloaded(make_service, session, loads) -> None:
    edited = make_service("Repas")
    others = [make_service("Douches"), make_service("Vestiaire")]
    session.commit()
    before = directory_snapshot(session)
    assert loads == [None], "the first read of a process is whole"
    rename(session, edited, "Repas chaud")
    after = directory_snapshot(session)
    assert loads == [None, [edited.id]]
    assert after.services[edited.id].text("name", "fr").text == "Repas chaud"
    for other in others:
        assert after.services[other.id] is before.services[other.id], "shared, not reloaded"
    assert directory_snapshot(session) is after and len(loads) == 2, "once per version"


def test_renaming_an_organisation_reloads_its_services(make_service, session, loads) -> None:
    service = make_service("Repas")
    make_service("Douches")
    session.commit()
    directory_snapshot(session)
    update_organization(session, "cli", service.organization, OrganizationData("Secours"))
    session.commit()
    assert directory_snapshot(session).services[service.id].organization == "Secours"
    assert loads == [None, [service.id]]


def test_an_archived_service_disappears(make_service, session) -> None:
    service = make_service("Bains du Canal", categories=("hygiene",))
    kept = make_service("Bains du Port", categories=("hygiene",))
    session.commit()
    assert len(search(session, "bains", at=MONDAY_10H, timezone=TZ).hits) == 2
    archive_service(session, "cli", service)
    session.commit()
    snapshot = directory_snapshot(session)
    assert service.id not in snapshot.services and kept.id in snapshot.services
    result = search(session, "bains", at=MONDAY_10H, timezone=TZ)
    assert [hit.service_id for hit in result.hits] == [kept.id]


def test_the_index_that_stands_in_during_a_rebuild_finds_no_archived_service(
    make_service, session
) -> None:
    service = make_service("Bains du Canal", categories=("hygiene",))
    kept = make_service("Bains du Port", categories=("hygiene",))
    session.commit()
    old = directory_snapshot(session)
    old.derived(build_index)
    new = old.following(old.version + 1, {service.id: None})
    new.replaces(old)
    with queries._background_builds:  # the new index's build waits
        result = search(session, "bains", at=MONDAY_10H, timezone=TZ, directory=new)
        assert new.derived(build_index) is old.derived(build_index), "the old index answers"
    assert [hit.service_id for hit in result.hits] == [kept.id]


def test_a_whole_build_never_holds_up_a_request_that_has_a_snapshot(make_service, session) -> None:
    service = make_service("Repas")
    session.commit()
    release = threading.Event()
    held: list[DirectorySnapshot] = []

    def read_all(connection: Connection) -> DirectorySnapshot:
        if not held:  # the process's first read: nothing to answer from yet, so it waits
            held.append(read_snapshot(connection))
            return held[0]
        assert release.wait(10), "the test never let the build go"
        return DirectorySnapshot(version, held[0].services.values())

    follower = DirectoryFollower(background=True, read_all=read_all)
    first = follower.current(session, *version_and_log_start(session))
    rename(session, service, "Repas chaud")
    version, _ = version_and_log_start(session)
    # The log was pruned past the snapshot: only a whole build can catch up.
    assert follower.current(session, version, log_start=version) is first
    build = follower.building
    assert build is not None and build.is_alive()
    assert follower.current(session, version, log_start=version) is first, "still building"
    release.set()
    build.join(10)
    assert follower.current(session, version, log_start=version).version == version


def test_a_derived_value_is_rebuilt_in_the_background(make_service, session) -> None:
    archived = make_service("Repas")
    make_service("Douches")
    session.commit()
    old = directory_snapshot(session)
    release = threading.Event()

    def count(snapshot: DirectorySnapshot) -> int:
        if snapshot is not old:
            assert release.wait(10), "the test never let the build go"
        return len(snapshot.services)

    assert old.derived(count) == 2
    new = old.following(old.version + 1, {archived.id: None})
    new.replaces(old)
    assert new.derived(count) == 2, "the old value answers while the new one is held"
    release.set()
    for _ in range(200):
        if new.derived(count) == 1:
            break
        time.sleep(0.05)
    assert new.derived(count) == 1


def test_the_change_log_is_pruned_and_a_pruned_log_means_a_whole_read(
    make_service, session, loads, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(operations, "CHANGE_LOG_VERSIONS", 2)
    service = make_service("Repas")
    session.commit()
    directory_snapshot(session)
    for name in ("Repas chaud", "Repas du soir", "Repas froid"):
        rename(session, service, name)
    version, log_start = version_and_log_start(session)
    assert log_start == version - 2
    assert session.scalars(select(DirectoryChange.version)).all() == [version - 1, version]
    snapshot = directory_snapshot(session)
    assert loads == [None, None], "the log no longer reaches back to the snapshot"
    assert snapshot.services[service.id].text("name", "fr").text == "Repas froid"


def test_a_savepoint_rolled_back_takes_its_change_rows_with_it(make_service, session) -> None:
    service = make_service("Repas")
    session.commit()
    savepoint = session.begin_nested()
    operations.bump_directory_version(session, [service.id])
    savepoint.rollback()
    version, _ = version_and_log_start(session)
    assert (
        session.scalars(
            select(DirectoryChange.service_id).where(DirectoryChange.version > version)
        ).all()
        == []
    )
