"""``guichet call``: walk the voice menu in a terminal, through the webhook Twilio calls.

Each step runs the ``/voice`` view on a request shaped as Twilio's (its form fields, our
URLs with their state), leaving out only the signature check, which a terminal has no
signature for; so what the terminal shows is what a caller would hear: the words of every
``<Say>``, the recordings played, the number dialled.
"""

from __future__ import annotations

import secrets
import xml.etree.ElementTree as ET

import click
from flask import current_app

from channels.voice import views

CITY_LINE = "+33000000000"  # the "To" of a terminal call: no real line is involved
_HELP = "Keys then Enter; Enter alone is a silence; 'say WORDS' speaks; q hangs up."


class TerminalCall:
    """One call from the terminal: requests in, what would be heard out."""

    def __init__(self, number: str | None) -> None:
        self.number = number
        self.sid = "CA" + secrets.token_hex(16)

    def post(self, target: str, **fields: str) -> ET.Element:
        """Run the webhook on ``target`` (a path with our query) as one request of its own."""
        form = {
            "CallSid": self.sid,
            "From": self.number or "anonymous",
            "To": CITY_LINE,
            "CallStatus": "in-progress",
            "Direction": "inbound",
            **fields,
        }
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        with app.app_context(), app.test_request_context(target, method="POST", data=form):
            response = views.answer()
        return ET.fromstring(response.get_data())


def heard(document: ET.Element) -> list[str]:
    """What a caller hears of a TwiML document, one line each."""
    lines = []
    for element in document.iter():
        if element.tag == "Say":
            lines.append(f"  {element.get('language')}: {''.join(element.itertext())}")
        elif element.tag == "Play":
            lines.append(f"  [recording {element.text}]")
        elif element.tag == "Pause":
            lines.append("")
        elif element.tag == "Dial":
            lines.append(f"  [dialling {''.join(element.itertext()).strip()}]")
        elif element.tag == "Hangup":
            lines.append("  [hangs up]")
    return lines


@click.command("call", help="Walk the voice menu in the terminal, as a caller would.")
@click.option(
    "--from",
    "number",
    default=None,
    help="The caller's number (E.164); a hidden number without it. With Twilio configured, "
    "key # sends a real text message to it.",
)
def call(number: str | None) -> None:
    terminal = TerminalCall(number)
    click.echo(_HELP)
    document = terminal.post("/voice")
    while True:
        click.echo("\n".join(line for line in heard(document) if line))
        gather, redirect = document.find("Gather"), document.find("Redirect")
        if redirect is None:  # only a goodbye ends without going on
            click.echo("[call ended]")
            return
        if gather is None:  # after a transfer: Twilio goes on by itself
            document = terminal.post(redirect.text or "")
            continue
        entry = click.prompt("keys", default="", show_default=False).strip()
        if entry.lower() == "q":
            click.echo("[you hung up]")
            return
        if not entry:
            document = terminal.post(redirect.text or "")
        elif entry.lower().startswith("say "):
            document = terminal.post(gather.get("action", ""), SpeechResult=entry[4:])
        else:
            document = terminal.post(gather.get("action", ""), Digits=entry)
