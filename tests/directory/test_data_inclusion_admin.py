"""The back office's queue of held data·inclusion changes: who sees it, accept and reject."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

from gateway.admin import accounts
from gateway.db import db
from gateway.directory import operations
from gateway.directory.datainclusion import import_directory, pending_changes
from gateway.directory.operations import ServiceData
from gateway.models import IncomingStatus, Organization, Service, User, UserRole
from tests.admin.conftest import PASSWORD, AdminClient

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "data-inclusion"
LOCAL_NAME = "Colis et vestiaire des Tilleuls"


def _user(email: str, role: UserRole, organizations: list[Organization] = ()) -> User:  # type: ignore[assignment]
    data = accounts.AccountData(email, role, [o.id for o in organizations])
    return accounts.create_user(db.session, "test", data, PASSWORD)


def _held(tmp_path: Path) -> User:
    """The sample imported, renamed here by a social worker, then sent again changed."""
    import_directory(db.session, SAMPLE)
    worker = _user("worker@example.org", UserRole.ADMIN)
    service = db.session.get(Service, "dora--svc1")
    data = ServiceData.of(service)
    data.texts["fr"] = dataclasses.replace(data.texts["fr"], name=LOCAL_NAME)
    operations.update_service(db.session, worker, service, data)
    services = json.loads((SAMPLE / "services.json").read_text())
    services[0]["nom"] = "Épicerie solidaire"
    shutil.copy(SAMPLE / "structures.json", tmp_path / "structures.json")
    (tmp_path / "services.json").write_text(json.dumps(services, ensure_ascii=False))
    import_directory(db.session, tmp_path)
    db.session.commit()
    return worker


def _signed_in(client, user: User) -> AdminClient:  # type: ignore[no-untyped-def]
    browser = AdminClient(client)
    assert browser.login(user.email).status_code == 303
    return browser


def test_accept_from_the_queue_applies_the_incoming_version(app, client, tmp_path) -> None:  # type: ignore[no-untyped-def]
    browser = _signed_in(client, _held(tmp_path))
    page = browser.text("/admin/incoming")
    assert "Épicerie solidaire" in page and LOCAL_NAME in page
    [change] = pending_changes(db.session)
    response = browser.post(f"/admin/incoming/{change.id}", {"decision": "accept"})
    assert response.status_code == 303
    db.session.expire_all()
    name = db.session.get(Service, "dora--svc1").text_by_locale()["fr"].name
    assert name == "Épicerie solidaire"
    assert "Épicerie solidaire" not in browser.text("/admin/incoming")


def test_reject_keeps_the_local_version(app, client, tmp_path) -> None:  # type: ignore[no-untyped-def]
    browser = _signed_in(client, _held(tmp_path))
    [change] = pending_changes(db.session)
    assert browser.post(f"/admin/incoming/{change.id}", {"decision": "reject"}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Service, "dora--svc1").text_by_locale()["fr"].name == LOCAL_NAME
    assert change.status == IncomingStatus.REJECTED


def test_decisions_need_the_form_token_and_the_right_to_edit(app, client, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _held(tmp_path)
    [change] = pending_changes(db.session)
    other = _user(
        "other@example.org", UserRole.EDITOR, [db.session.get(Organization, "france-travail--ag2")]
    )
    db.session.commit()
    browser = _signed_in(client, other)
    assert "Épicerie solidaire" not in browser.text("/admin/incoming")
    assert browser.post(f"/admin/incoming/{change.id}", {"decision": "accept"}).status_code == 403
    forged = browser.client.post(f"/admin/incoming/{change.id}", data={"decision": "accept"})
    assert forged.status_code == 400
    db.session.expire_all()
    assert db.session.get(Service, "dora--svc1").text_by_locale()["fr"].name == LOCAL_NAME
