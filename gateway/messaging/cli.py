"""``guichet outbox`` and ``guichet purge``: see what was sent, forget what is old."""

from __future__ import annotations

import textwrap

import click
from sqlalchemy import select

from gateway.db import db
from gateway.messaging.jobs import purge_retention
from gateway.models import Direction, Message


def mask_number(number: str | None) -> str:
    """``+33612345678`` → ``+336******78``: enough to tell messages apart, not to dial."""
    if not number:
        return "-"
    keep_head = 4 if number.startswith("+") else 3
    hidden = max(len(number) - keep_head - 2, 0)
    return number[:keep_head] + "*" * hidden + number[keep_head + hidden :]


@click.command("outbox", help="List the last outbound messages: to whom, what, how, status.")
@click.option("-n", "--last", default=20, show_default=True, type=click.IntRange(min=1))
def outbox(last: int) -> None:
    messages = db.session.scalars(
        select(Message)
        .where(Message.direction == Direction.OUTBOUND)
        .order_by(Message.id.desc())
        .limit(last)
    ).all()
    if not messages:
        click.echo("no outbound message")
    for message in reversed(messages):
        error = f" error {message.error_code}" if message.error_code else ""
        click.echo(
            f"#{message.id} {message.created_at:%Y-%m-%d %H:%M} {message.kind} "
            f"to {mask_number(message.to_number)} {message.encoding} {message.segments} seg "
            f"{message.status}{error} (attempts {message.attempts})"
        )
        body = message.body if message.body is not None else "(purged)"
        click.echo(textwrap.indent(body, "    "))


@click.command(
    "purge",
    help="Blank message bodies, numbers, search and report texts, and delete conversation "
    "states, past retention.",
)
@click.option("--days", type=click.IntRange(min=1), default=None, help="Default: RETENTION_DAYS.")
def purge(days: int | None) -> None:
    purged = purge_retention(days)
    click.echo(
        f"purged {purged.messages} messages, {purged.search_queries} search texts, "
        f"{purged.reports} report texts and {purged.conversations} conversations"
    )
