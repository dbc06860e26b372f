"""Twilio's WhatsApp webhook in, TwiML out: the SMS adapter's reading, WhatsApp's addresses.

The form is an SMS form whose From and To are ``whatsapp:+33…``, plus ``ProfileName`` (the
name the resident shows on WhatsApp) and ``WaId`` (the number without ``+``). Only the number
is read: the profile name is personal data the directory has no use for, so it is never
stored, nor logged.

WhatsApp has no segments: a session message holds up to 4096 characters and is billed as one
message. The reply is laid out by the SMS layout (:func:`channels.sms.render.sms_text`) given
room for :data:`MAX_SEGMENTS`, which stays under 4096 characters in either encoding, and it
counts as one message against the daily cap.
"""

from __future__ import annotations

from dataclasses import replace

from flask import abort
from werkzeug.datastructures import MultiDict

from channels import twilio_fields
from channels.sms import adapter as sms_adapter
from channels.sms.render import plain_text, sms_text
from gateway.conversation import Reply
from gateway.messaging import inbound
from gateway.messaging.gsm import SmsText
from gateway.messaging.inbound import Exchange, IncomingText, TextFormat

CHANNEL = "whatsapp"
PREFIX = "whatsapp:"
# 26 GSM-7 parts are 3978 characters, 26 UCS-2 parts 1742: a screen stays under WhatsApp's
# 4096, with room for a whole page of services rather than three segments' worth.
MAX_SEGMENTS = 26


def one_message(text: SmsText) -> SmsText:
    """``text`` as WhatsApp bills it: one message, whatever its length."""
    return replace(text, segments=1 if text.text else 0)


def reply_text(reply: Reply) -> SmsText:
    return one_message(sms_text(reply, MAX_SEGMENTS))


TEXT = TextFormat(reply=reply_text, plain=lambda text: one_message(plain_text(text)))


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
        sms_adapter.now(),
        form.get("OptOutType", "").strip().upper() or None,
    )


def receive(incoming: IncomingText) -> Exchange:
    """Store, answer and record ``incoming`` through the core, laid out for WhatsApp."""
    return inbound.receive(incoming, TEXT)
