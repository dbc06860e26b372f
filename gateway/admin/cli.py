"""``guichet user …`` and ``guichet org list``: back-office accounts from the command line.

The first admin is made here, mostly; organisations are listed so that an editor can be
attached to one by its name (or id) without reading the database.

Each command is one transaction, recorded in the audit trail as done by "cli".
"""

from __future__ import annotations

import click
from flask_babel import force_locale

from gateway.admin import accounts, passwords
from gateway.db import db
from gateway.directory.operations import OperationError
from gateway.models import UserRole

ACTOR = "cli"


@click.group("user", help="Back-office accounts: create, list, disable.")
def user_group() -> None:
    pass


@user_group.command("create", help="Create an account; the password is asked for if not given.")
@click.option("--email", required=True, help="The person's email address, used to sign in.")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help=f"At least {passwords.MIN_LENGTH} characters; not a common password, a sequence or "
    "the email address.",
)
@click.option(
    "--role",
    type=click.Choice([role.value for role in UserRole]),
    default=UserRole.EDITOR.value,
    show_default=True,
    help="editor: keeps services up to date; admin: everything, accounts included.",
)
@click.option(
    "--org",
    "organizations",
    multiple=True,
    metavar="NAME_OR_ID",
    help="An organisation whose services the editor edits, by name or id, as `guichet org "
    "list` shows them (repeat for several).",
)
@click.option("--all-orgs", is_flag=True, help="The editor edits every organisation's services.")
def create(
    email: str, password: str, role: str, organizations: tuple[str, ...], all_orgs: bool
) -> None:
    try:
        ids = accounts.organization_ids(db.session, organizations)
        data = accounts.AccountData(email, UserRole(role), ids, all_orgs)
        with force_locale("en"):  # like every message of ``guichet``
            user = accounts.create_user(db.session, ACTOR, data, password)
        db.session.commit()
    except OperationError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    click.echo(f"{user.email}: {user.role.value} account created")
    if user.edits_nothing:
        click.echo(
            f"Warning: {user.email} is attached to no organisation and can edit nothing; "
            "give them one with the accounts page, or create the account with --org NAME "
            "(see `guichet org list`) or --all-orgs.",
            err=True,
        )


@user_group.command("list", help="Every account: email, role, organisations, state.")
def list_users() -> None:
    from sqlalchemy import select

    from gateway.models import User

    for user in db.session.scalars(select(User).order_by(User.email)):
        if user.is_admin or user.all_organizations:
            scope = "all organisations"
        else:
            scope = ", ".join(o.name for o in user.organizations) or "no organisation"
        state = "enabled" if user.active else "disabled"
        click.echo(f"{user.email}\t{user.role.value}\t{scope}\t{state}")


@user_group.command("disable", help="Stop an account from signing in; ends its sessions now.")
@click.option("--email", required=True)
def disable(email: str) -> None:
    user = accounts.find_user(db.session, email)
    if user is None:
        raise click.ClickException(f"no account has the email {email}")
    changes = accounts.disable_user(db.session, ACTOR, user)
    db.session.commit()
    click.echo(f"{user.email}: disabled" if changes else f"{user.email}: already disabled")


@click.group("org", help="Organisations: list them, with the names and ids other commands take.")
def org_group() -> None:
    pass


@org_group.command("list", help="Every organisation: id, name, services listed, editors.")
@click.option("--archived", is_flag=True, help="Also the archived organisations.")
def list_organizations(archived: bool) -> None:
    from sqlalchemy import func, select

    from gateway.admin.overview import service_counts
    from gateway.models import Organization, UserOrganization

    query = select(Organization).order_by(func.lower(Organization.name), Organization.id)
    if not archived:
        query = query.where(Organization.archived_at.is_(None))
    services = service_counts(db.session)
    editors = dict(
        db.session.execute(
            select(UserOrganization.organization_id, func.count()).group_by(
                UserOrganization.organization_id
            )
        ).all()
    )
    for organization in db.session.scalars(query):
        state = "\tarchived" if organization.archived_at else ""
        click.echo(
            f"{organization.id}\t{organization.name}\t"
            f"{_count(services.get(organization.id, 0), 'service')}\t"
            f"{_count(editors.get(organization.id, 0), 'editor')}{state}"
        )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
