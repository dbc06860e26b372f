"""Twilio's WhatsApp webhook in, TwiML out: the SMS adapter's reading, WhatsApp's addresses.

The form is an SMS form whose From and To are ``whatsapp:+33…``, plus ``ProfileName`` (the
name the resident shows on WhatsApp) and ``WaId`` (the number without ``+``). Only the number
is read: the profile name is personal data the directory has no use for, so it is never
stored, nor logged.

WhatsApp has no segments and no GSM-7: a session message holds up to 4096 characters as
written and is billed as one message. The reply is laid out by the SMS layout
(:func:`channels.sms.render.sms_text`) with WhatsApp's own :data:`SIZING`, in which a
"segment" is one whole message: a screen keeps every detail SMS would drop, up to 4096
characters, and counts as one message against the daily cap.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from flask import abort
from werkzeug.datastructures import MultiDict

from channels import twilio_fields
from channels.sms import adapter as sms_adapter
from channels.sms.encoding import Sizing
from channels.sms.render import plain_text, sms_text
from gateway import clock
from gateway.conversation import Reply
from gateway.messaging import inbound
from gateway.messaging.gsm import SmsText
from gateway.messaging.inbound import Exchange, IncomingText, TextFormat

CHANNEL = "whatsapp"
PREFIX = "whatsapp:"
MAX_LENGTH = 4096  # characters in one WhatsApp session message


def _message(pieces: Sequence[str]) -> SmsText:
    """Pieces as WhatsApp carries them: as written (Unicode, stored under the name "UCS-2"),
    one message per 4096 characters."""
    body = "\n".join(pieces)
    return SmsText(body, "UCS-2", -(-len(body) // MAX_LENGTH), len(body))


# A piece is its text as written (NFC), counted by its characters.
SIZING: Sizing[str] = Sizing(lambda text: unicodedata.normalize("NFC", text), _message)


def reply_text(reply: Reply) -> SmsText:
    """The engine's reply as one WhatsApp message."""
    return sms_text(reply, 1, SIZING)


TEXT = TextFormat(reply=reply_text, plain=lambda text: plain_text(text, SIZING))


def address(raw: str) -> str:
    """The number of a ``whatsapp:`` address; 400 for anything else (not a WhatsApp message)."""
    if not raw.startswith(PREFIX):
        abort(400)
    return raw[len(PREFIX) :]


def read(form: MultiDict[str, str]) -> IncomingText:
    """The message Twilio posted; 400 without a well-formed SID or a ``whatsapp:`` sender."""
    return IncomingText(
        CHANNEL,
        twilio_fields.sid(form, *sms_adapter.SID_FIELDS),
        address(form.get("From", "")),
        form.get("Body", ""),
        clock.now(),
        form.get("OptOutType", "").strip().upper() or None,
    )


def receive(incoming: IncomingText) -> Exchange:
    """Store, answer and record ``incoming`` through the core, laid out for WhatsApp."""
    return inbound.receive(incoming, TEXT)
