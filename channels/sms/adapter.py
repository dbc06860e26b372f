"""Twilio's messaging webhook in, TwiML out.

The channel contract (:mod:`channels.base`) in the shape text channels need: :func:`read`
turns the form Twilio posts into an :class:`~gateway.messaging.inbound.IncomingText`, which
carries the engine's :class:`~gateway.conversation.Inbound` and what the pipeline must know
(the MessageSid, Twilio's ``OptOutType``); :func:`receive` hands it to the core's inbound
pipeline with the SMS layout (:data:`TEXT`); :func:`respond` writes what to send as TwiML.
What is sent is not always the engine's reply (a retry gets the stored answer, a number over
its limit a notice or nothing), so the response is made from the text the exchange settled on.
"""

from __future__ import annotations

from flask import Response
from werkzeug.datastructures import MultiDict

from channels import twilio_fields
from channels.sms.encoding import SmsText
from channels.sms.render import plain_text, sms_text, twiml
from gateway import clock
from gateway.messaging import inbound
from gateway.messaging.inbound import Exchange, IncomingText, TextFormat

CHANNEL = "sms"
# Twilio names a message's SID three ways; MessageSid is the current one.
SID_FIELDS = ("MessageSid", "SmsMessageSid", "SmsSid")
# A reply as one SMS of at most three segments; a sentence folded to GSM-7 where it can be.
TEXT = TextFormat(reply=sms_text, plain=plain_text)


def message(sid: str, sender: str, body: str, opt_out_type: str | None = None) -> IncomingText:
    """A text message from ``sender`` received now on the SMS channel."""
    return IncomingText(CHANNEL, sid, sender, body, clock.now(), opt_out_type)


def read(form: MultiDict[str, str]) -> IncomingText:
    """The message Twilio posted; 400 without a well-formed SID (not a message webhook)."""
    return message(
        twilio_fields.sid(form, *SID_FIELDS),
        form.get("From", ""),
        form.get("Body", ""),
        form.get("OptOutType", "").strip().upper() or None,
    )


def receive(incoming: IncomingText) -> Exchange:
    """Store, answer and record ``incoming`` through the core, laid out as SMS."""
    return inbound.receive(incoming, TEXT)


def respond(sms: SmsText | None, status_url: str | None = None) -> Response:
    """The webhook's answer: the message to send, or an empty ``<Response/>``; Twilio reports
    the message's fate to ``status_url``."""
    return Response(twiml(sms, status_url), mimetype="text/xml")
