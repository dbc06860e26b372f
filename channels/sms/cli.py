"""``guichet sms "ou manger" --from +33612345678``: one text message through the SMS channel.

It takes the path a message from Twilio takes (:func:`gateway.messaging.inbound.receive`: stored,
answered, limited, recorded), leaving out only HTTP and the signature, and prints the answer
as the phone would get it, with its encoding and segment count.
"""

from __future__ import annotations

import secrets

import click

from channels.sms import adapter
from gateway.contacts import normalize_number


def local_sid(prefix: str) -> str:
    """A message SID for a message that did not come through Twilio (34 characters, as theirs)."""
    return prefix + secrets.token_hex(16)[: 34 - len(prefix)]


@click.command("sms", help="Send one text message to the SMS channel and print its answer.")
@click.argument("text")
@click.option(
    "--from", "number", default="+33612345678", show_default=True, help="The sender's number."
)
def sms(text: str, number: str) -> None:
    try:
        sender = normalize_number(number)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--from") from exc
    exchange = adapter.receive(adapter.message(local_sid("CL"), sender, text))
    if exchange.text is None:
        click.echo(f"(no answer: {exchange.outcome})")
        return
    answer = exchange.text
    click.echo(answer.text)
    click.echo(f"-- {answer.encoding}, {answer.segments} segment(s), {exchange.outcome}")
