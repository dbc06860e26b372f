"""Twilio's messaging webhook in, TwiML out.

The channel contract (:mod:`channels.base`) in the shape SMS needs: :func:`read` turns the
form Twilio posts into an :class:`~channels.sms.exchange.IncomingSms`, which carries the
engine's :class:`~gateway.conversation.Inbound` and what the webhook itself must know (the
MessageSid, Twilio's ``OptOutType``); :func:`respond` writes what to send as TwiML. What is
sent is not always the engine's reply (a retry gets the stored answer, a number over its limit
a notice or nothing), so the response is made from the text the exchange settled on.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Response
from werkzeug.datastructures import MultiDict

from channels import twilio_fields
from channels.sms.encoding import SmsText
from channels.sms.exchange import IncomingSms
from channels.sms.render import twiml

# Twilio names a message's SID three ways; MessageSid is the current one.
SID_FIELDS = ("MessageSid", "SmsMessageSid", "SmsSid")


def now() -> datetime:
    """The time a message arrives (one place, so tests can set the clock)."""
    return datetime.now(UTC)


def read(form: MultiDict[str, str]) -> IncomingSms:
    """The message Twilio posted; 400 without a well-formed SID (not a message webhook)."""
    return IncomingSms(
        sid=twilio_fields.sid(form, *SID_FIELDS),
        sender=form.get("From", ""),
        body=form.get("Body", ""),
        received_at=now(),
        opt_out_type=form.get("OptOutType", "").strip().upper() or None,
    )


def respond(sms: SmsText | None, status_url: str | None = None) -> Response:
    """The webhook's answer: the message to send, or an empty ``<Response/>``; Twilio reports
    the message's fate to ``status_url``."""
    return Response(twiml(sms, status_url), mimetype="text/xml")
