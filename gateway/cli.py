"""The ``guichet`` command: the Flask CLI of the app, with the project's own commands.

Every command that writes does it in one transaction and, on bad input, prints one line that
names the file, the record and the field, then exits non-zero with nothing written. ``import
hsds`` commits batch by batch so that a file of any size goes in: it first reads the whole file
and, if any record is bad, lists every problem and writes nothing; with ``--partial`` it refuses
bad records alone (one such line each) and imports the rest.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, NoAppException, ScriptInfo, routes_command, shell_command
from sqlalchemy import func, make_url, select
from sqlalchemy.exc import OperationalError, ProgrammingError
from werkzeug.serving import run_simple

from gateway import migrations
from gateway.config import CONTENT_DIR, ORIGINAL_LOCALE, SUPPORTED_LOCALES, settings
from gateway.db import db

if TYPE_CHECKING:
    from gateway.directory.hsds import ImportReport

DEMO_SERVICES = CONTENT_DIR / "demo" / "services.json"


def fail(message: str) -> NoReturn:
    """Stop the command with a one-line error and exit status 1."""
    raise click.ClickException(message)


@click.group("db", help="Database schema (Alembic migrations).")
def db_group() -> None:
    pass


@db_group.command("upgrade", help="Apply migrations up to REVISION (default: the latest).")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    migrations.upgrade(settings().database_url, revision)
    click.echo(f"database at {revision}")


@db_group.command("downgrade", help="Revert migrations down to REVISION.")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    migrations.downgrade(settings().database_url, revision)
    click.echo(f"database at {revision}")


def import_hsds_path(path: Path, *, locale: str | None = None, partial: bool = False) -> str:
    """Import one HSDS file batch by batch, as "import" (see ``import_stream``): the report's
    lines. ``locale`` is the language of the file's texts (French unless told).

    All or nothing unless ``partial``: the file is checked whole first (``check_stream``),
    and any problem fails the command, every one printed on stderr, with nothing written. A
    partial import refuses bad records alone, prints them, imports the rest, then fails; a
    file that breaks off fails it too, after what came before. A progress bar on stderr
    follows the bytes read when stderr is a terminal.
    """
    from gateway.directory.hsds import (
        HsdsFile,
        ImportStopped,
        InterchangeError,
        check_stream,
        import_stream,
    )

    locale = locale or ORIGINAL_LOCALE
    if not partial:
        try:
            problems = check_stream(db.session, HsdsFile(path), str(path), locale=locale)
        except InterchangeError as exc:
            fail(f"{exc} (nothing imported)")
        db.session.rollback()
        for line in problems:
            click.echo(f"rejected: {line}", err=True)
        if problems:
            fail(
                f"{path}: {len(problems)} records rejected, nothing imported "
                "(--partial imports the others)"
            )
    stream = HsdsFile(path)
    with click.progressbar(
        length=max(stream.size, 1), label=f"importing {path}", file=sys.stderr,
        hidden=not sys.stderr.isatty(),
    ) as bar:  # fmt: skip

        def advance(_: ImportReport) -> None:
            bar.update(stream.position - bar.pos)

        try:
            report = import_stream(
                db.session, stream, source=str(path), progress=advance, locale=locale
            )
        except ImportStopped as exc:
            _print_rejected(exc.report)
            fail(f"{exc.error} ({_counts(exc.report)} before it)")
    _print_rejected(report)
    lines = [f"{path}: {_counts(report)}"]
    lines += [f"warning: {warning}" for warning in report.warnings]
    if report.rejected:
        click.echo("\n".join(lines))
        fail(f"{path}: {len(report.rejected)} records rejected, the others imported")
    return "\n".join(lines)


def _counts(report: ImportReport) -> str:
    counts = f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged"
    return counts + (f", {len(report.rejected)} rejected" if report.rejected else "")


def _print_rejected(report: ImportReport) -> None:
    for line in report.rejected:
        click.echo(f"rejected: {line}", err=True)


@click.group("import", help="Bring directory data in.")
def import_group() -> None:
    pass


@import_group.command(
    "hsds",
    help="Import a JSON list of HSDS 3.0 services (creates or updates), batch by batch, "
    "with a progress bar on a terminal. A file with bad records is refused whole, every "
    "problem listed; with --partial the bad records are refused and listed, the rest imported.",
)
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--locale",
    type=click.Choice(SUPPORTED_LOCALES),
    default=ORIGINAL_LOCALE,
    show_default=True,
    help="The language the file's texts (name, description…) are written in.",
)
@click.option(
    "--partial", is_flag=True, help="Import every valid record and list the others, refused."
)
def import_hsds(path: Path, locale: str, partial: bool) -> None:
    click.echo(import_hsds_path(path, locale=locale, partial=partial))


@import_group.command(
    "data-inclusion",
    help="Import a data·inclusion v1 directory (structures.json and services.json), all or "
    "nothing: a bad record stops it with one line naming file, record and field.",
)
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
def import_data_inclusion(path: Path) -> None:
    from gateway.directory.datainclusion import import_directory
    from gateway.directory.hsds import InterchangeError

    try:
        report = import_directory(db.session, path)
    except InterchangeError as exc:
        db.session.rollback()
        fail(str(exc))
    db.session.commit()
    for line in report.warnings:
        click.echo(f"warning: {line}", err=True)
    for line in report.held:
        click.echo(f"held: {line}", err=True)
    click.echo(f"{path}: {_counts(report)}" + (f", {len(report.held)} held" if report.held else ""))


@click.group("export", help="Take directory data out.")
def export_group() -> None:
    pass


@export_group.command(
    "hsds", help="Write every listed service as a JSON list of HSDS 3.0 services."
)
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
def export_hsds(path: Path) -> None:
    from gateway.directory.hsds import export_services

    records = export_services(db.session)
    try:
        path.write_text(json.dumps(records, ensure_ascii=False, indent=2) + "\n", "utf-8")
    except OSError as exc:
        fail(f"{path}: cannot write: {exc.strerror}")
    click.echo(f"{path}: {len(records)} services exported")


@export_group.command(
    "data-inclusion",
    help="Write structures.json and services.json in data·inclusion v1 into DIRECTORY.",
)
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def export_data_inclusion(directory: Path) -> None:
    from gateway.directory.datainclusion import write_directory

    structures, services = write_directory(db.session, directory)
    click.echo(f"{structures} structures, {services} services written to {directory}")


@click.command("demo", help="Migrate, then load the demo city if the directory is empty.")
def demo() -> None:
    from gateway.models import Service

    migrations.upgrade(settings().database_url)
    count = db.session.scalar(select(func.count(Service.id))) or 0
    if count:
        click.echo(f"directory already has {count} services; demo city not loaded")
        return
    click.echo(import_hsds_path(DEMO_SERVICES))


@click.command(
    "run", help="Serve Guichet locally (the embedded default; production uses gunicorn)."
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def run(host: str, port: int) -> None:
    from gateway import create_app

    # The local server is not production, so it may start without a SECRET_KEY.
    app = create_app({"DEBUG": True})
    click.echo(f"Guichet on http://{host}:{port}/  (Ctrl+C to stop)")
    # Not app.run(): Flask ignores it inside its own CLI. Threads, no debugger, no reloader.
    run_simple(host, port, app, threaded=True)


@click.command("worker", help="Run an RQ worker for background jobs (needs REDIS_URL).")
@click.argument("queues", nargs=-1)
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def worker(queues: tuple[str, ...], burst: bool) -> None:
    from gateway.jobs import DEFAULT_QUEUE, run_worker

    if not settings().redis_url:
        fail("REDIS_URL is not set: without it jobs run in-process and no worker is needed")
    run_worker(current_app._get_current_object(), queues or (DEFAULT_QUEUE,), burst=burst)  # type: ignore[attr-defined]


@click.command("cron", help="Run the periodic jobs' scheduler (needs REDIS_URL; one per site).")
def cron() -> None:
    from gateway.schedule import run_scheduler

    if not settings().redis_url:
        fail("REDIS_URL is not set: run `guichet purge` from the system's cron instead")
    run_scheduler(current_app._get_current_object())  # type: ignore[attr-defined]


def init_app(app: Flask) -> None:
    from gateway.admin.cli import org_group, user_group
    from gateway.messaging.cli import outbox, purge

    commands = (db_group, import_group, export_group, demo, worker, cron, outbox, purge)
    for command in (*commands, user_group, org_group):
        app.cli.add_command(command)


def _create_cli_app() -> Flask:
    from gateway import create_app
    from gateway.config import ConfigError

    try:
        return create_app()
    except ConfigError as exc:
        raise NoAppException(str(exc)) from exc


class GuichetGroup(FlaskGroup):
    """Flask's command group, but a setting that stops the app is the only error shown.

    Flask prints why the app did not load and then goes on to look for the command without
    it, so ``guichet sms …`` without ``SECRET_KEY`` also said "No such command 'sms'", which
    sent people looking for a missing install rather than the setting to give.
    """

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if click.Group.get_command(self, ctx, name) is None:
            try:
                ctx.ensure_object(ScriptInfo).load_app()
            except NoAppException as exc:
                raise click.ClickException(exc.format_message()) from None
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (OperationalError, ProgrammingError):
            url = settings(ctx.ensure_object(ScriptInfo).load_app()).database_url
            if migrations.is_current(url):
                raise
            shown = make_url(url).render_as_string(hide_password=True)
            raise click.ClickException(
                f"the database ({shown}) is not set up or not up to date: "
                "run `guichet db upgrade` (or `guichet demo` to load the demo city too)"
            ) from None


cli = GuichetGroup(
    name="guichet",
    create_app=_create_cli_app,
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
    help="Guichet: one directory of social services, for every phone.",
)
cli.add_command(run)
cli.add_command(shell_command)
cli.add_command(routes_command)


def main() -> None:
    cli.main(prog_name="guichet")
