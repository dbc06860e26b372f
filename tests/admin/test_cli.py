"""``guichet user …`` and the import's single entry in the trail."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from gateway.admin.accounts import find_user
from gateway.audit import history, recent
from gateway.db import db
from gateway.models import AuditEntry, UserRole
from tests.admin.conftest import PASSWORD, AdminClient

pytestmark = pytest.mark.backends("postgresql")


def test_user_create_list_disable(app, make_organization, client) -> None:
    organization = make_organization("Secours")
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["user", "create", "--email", "Worker@Example.org", "--password", PASSWORD,
              "--role", "editor", "--org", organization.id],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "worker@example.org: editor account created" in result.output
    user = find_user(db.session, "worker@example.org")
    assert user is not None and [o.id for o in user.organizations] == [organization.id]

    result = runner.invoke(
        args=["user", "create", "--email", "boss@example.org", "--password", PASSWORD,
              "--role", "admin"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert find_user(db.session, "boss@example.org").role is UserRole.ADMIN  # type: ignore[union-attr]

    listing = runner.invoke(args=["user", "list"]).output.splitlines()
    assert listing == [
        "boss@example.org\tadmin\tall organisations\tenabled",
        "worker@example.org\teditor\tSecours\tenabled",
    ]

    browser = AdminClient(client)
    assert browser.login("worker@example.org").status_code == 303
    result = runner.invoke(args=["user", "disable", "--email", "worker@example.org"])
    assert result.exit_code == 0, result.output
    assert browser.get("/admin/").status_code == 302  # the session ended
    assert runner.invoke(args=["user", "list"]).output.splitlines()[1].endswith("disabled")

    actions = [e.action for e in history(db.session, "user", user.id)]
    assert actions == ["user.disable", "user.create"]
    assert {e.actor for e in history(db.session, "user", user.id)} == {"cli"}


def test_user_create_with_all_organisations(app) -> None:
    result = app.test_cli_runner().invoke(
        args=["user", "create", "--email", "city@example.org", "--password", PASSWORD,
              "--all-orgs"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    user = find_user(db.session, "city@example.org")
    assert user is not None and user.all_organizations and user.role is UserRole.EDITOR


def test_user_create_refuses_bad_input_in_one_line(app) -> None:
    runner = app.test_cli_runner()
    cases = [
        (["--email", "a@example.org", "--password", "short"], "at least 12 characters"),
        (["--email", "a@example.org", "--password", PASSWORD, "--org", "nope"], "no organisation"),
        (["--email", "not-an-email", "--password", PASSWORD], "not an email address"),
    ]
    for args, message in cases:
        result = runner.invoke(args=["user", "create", *args])
        assert result.exit_code == 1
        assert message in result.output
        assert len(result.output.strip().splitlines()) == 1
    runner.invoke(args=["user", "create", "--email", "a@example.org", "--password", PASSWORD])
    again = runner.invoke(
        args=["user", "create", "--email", "A@example.org", "--password", PASSWORD]
    )
    assert again.exit_code == 1 and "already uses" in again.output
    assert runner.invoke(args=["user", "disable", "--email", "x@example.org"]).exit_code == 1


def test_user_create_asks_for_the_password(app) -> None:
    result = app.test_cli_runner().invoke(
        args=["user", "create", "--email", "a@example.org"], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output


def test_an_import_is_one_entry_with_its_counts(app, tmp_path) -> None:
    from gateway.cli import import_hsds_path

    records = [
        {"id": f"svc-{n}", "name": f"Service {n}", "organization": {"id": "org-1", "name": "Org"}}
        for n in range(3)
    ]
    path = tmp_path / "partners.json"
    path.write_text(json.dumps(records), "utf-8")
    before = db.session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()))
    import_hsds_path(path)
    records.append({"id": "svc-9", "name": "New", "organization_id": "org-1"})
    path.write_text(json.dumps(records), "utf-8")
    import_hsds_path(path)
    entries = [e for e in recent(db.session) if before is None or e.id > before]
    # Beside the entry of each service it created (the first import made the organisation).
    assert sorted((e.action, e.entity_id) for e in entries if e.action != "import") == [
        ("organization.create", "org-1"),
        *[("service.create", f"svc-{n}") for n in (0, 1, 2, 9)],
    ]
    entries = [e for e in entries if e.action == "import"]
    assert len(entries) == 2
    assert entries[0].details == {
        "source": str(path), "created": 1, "updated": 0, "unchanged": 3,
    }  # fmt: skip
    assert entries[1].details == {
        "source": str(path), "created": 3, "updated": 0, "unchanged": 0,
    }  # fmt: skip
    assert entries[0].actor == "import"


def test_org_list_gives_the_names_and_ids_that_user_create_takes(app, make_organization) -> None:
    croix = make_organization("Croix-Rouge française")
    populaire = make_organization("Secours populaire")
    catholique = make_organization("Secours catholique")
    runner = app.test_cli_runner()
    listing = runner.invoke(args=["org", "list"])
    assert listing.exit_code == 0, listing.output
    assert listing.output.splitlines() == [
        f"{croix.id}\tCroix-Rouge française\t0 services\t0 editors",
        f"{catholique.id}\tSecours catholique\t0 services\t0 editors",
        f"{populaire.id}\tSecours populaire\t0 services\t0 editors",
    ]

    # By name as typed: no accents, another case, a part of it when only one name holds it.
    result = runner.invoke(
        args=["user", "create", "--email", "w@example.org", "--password", PASSWORD,
              "--org", "croix-rouge francaise", "--org", "populaire"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    user = find_user(db.session, "w@example.org")
    assert [o.name for o in user.organizations] == [  # type: ignore[union-attr]
        "Croix-Rouge française",
        "Secours populaire",
    ]
    assert runner.invoke(args=["org", "list"]).output.splitlines()[0].endswith("\t1 editor")

    ambiguous = runner.invoke(
        args=["user", "create", "--email", "x@example.org", "--password", PASSWORD,
              "--org", "secours"],
    )  # fmt: skip
    assert ambiguous.exit_code == 1
    assert "fits several organisations" in ambiguous.output
    assert "Secours catholique (" in ambiguous.output and "Secours populaire (" in ambiguous.output
    unknown = runner.invoke(
        args=["user", "create", "--email", "x@example.org", "--password", PASSWORD,
              "--org", "Emmaüs"],
    )  # fmt: skip
    assert unknown.exit_code == 1 and "guichet org list" in unknown.output
    assert find_user(db.session, "x@example.org") is None


def test_an_editor_with_no_organisation_is_warned_about(app, make_organization) -> None:
    organization = make_organization("Secours")
    runner = app.test_cli_runner()
    alone = runner.invoke(
        args=["user", "create", "--email", "a@example.org", "--password", PASSWORD]
    )
    assert alone.exit_code == 0, alone.output
    assert alone.stdout == "a@example.org: editor account created\n"
    assert "attached to no organisation and can edit nothing" in alone.stderr
    assert "--org" in alone.stderr and "guichet org list" in alone.stderr
    for args in (["--org", organization.id], ["--all-orgs"], ["--role", "admin"]):
        email = f"{args[-1][:5]}@example.org"
        result = runner.invoke(
            args=["user", "create", "--email", email, "--password", PASSWORD, *args]
        )
        assert result.exit_code == 0 and result.stderr == "", result.output
