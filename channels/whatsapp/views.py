"""The WhatsApp channel's route: Twilio's WhatsApp messaging webhook at ``/whatsapp``.

Signed and size-limited as the SMS webhook (:func:`channels.twilio_auth.twilio_webhook`);
delivery reports of its replies go to the SMS status callback, which reads any message SID.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from channels.sms.views import answer
from channels.twilio_auth import twilio_webhook
from channels.whatsapp import adapter

blueprint = Blueprint("whatsapp", __name__)


@blueprint.post("/whatsapp")
@twilio_webhook
def inbound() -> Response:
    """A resident's WhatsApp message: answer it with TwiML (an empty one to say nothing)."""
    return answer(adapter.receive(adapter.read(request.form)))
