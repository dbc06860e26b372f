"""The voice channel's routes: Twilio's call webhook, its status callback, recorded prompts."""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, request, send_from_directory

from channels import twilio_fields
from channels.twilio_auth import twilio_webhook
from channels.voice import records
from channels.voice.adapter import VoiceAdapter
from channels.voice.prompts import AUDIO_EXTENSIONS
from channels.voice.settings import voice_settings
from gateway import clock
from gateway.config import settings
from gateway.contacts import contact_or_none
from gateway.conversation import ReplyKind, handle
from gateway.db import db
from gateway.messaging.handoff import send_details
from gateway.messaging.outbox import Outcome
from gateway.models import CallStatus

blueprint = Blueprint("voice", __name__)
PROMPT_MAX_AGE = 24 * 3600  # seconds Twilio and proxies may keep a recording
_FILENAME = re.compile(r"[a-z0-9][a-z0-9_-]*(?:" + "|".join(map(re.escape, AUDIO_EXTENSIONS)) + ")")


@blueprint.post("/voice")
@twilio_webhook
def inbound() -> Response:
    """A call arrives, a key is pressed, or a silence ran out: answer with TwiML."""
    return answer()


def answer() -> Response:
    """The TwiML for this request to ``/voice``, once known to be Twilio's (or the terminal's).

    One commit, after the engine and the handoff wrote: the SMS job is queued only once it holds.
    """
    adapter = VoiceAdapter()
    inbound = adapter.parse(request)
    call = adapter.call
    if adapter.gives_up:
        return adapter.goodbye()
    contact = contact_or_none(db.session, call.number)
    reply = handle(inbound, contact)
    handoff = None
    if reply.kind is ReplyKind.HANDOFF and call.number is not None and contact is not None:
        handoff = send_details(reply, contact, call.number, call.call_sid)
    records.record_turn(
        db.session,
        call.call_sid,
        locale=reply.locale,
        transferred=reply.kind is ReplyKind.TRANSFER,
        texted=handoff is Outcome.QUEUED,
    )
    response = adapter.render(reply, handoff=handoff)
    db.session.commit()
    return response


@blueprint.post("/voice/status")
@twilio_webhook
def status() -> tuple[str, int]:
    """Twilio's call status callback: how long the call lasted and how it ended.

    400 for an unknown status, a malformed CallSid or a duration that is not a number."""
    try:
        call_status = CallStatus(request.form.get("CallStatus", ""))
    except ValueError:
        abort(400)
    call_sid = twilio_fields.sid(request.form, "CallSid")
    duration = twilio_fields.count(request.form.get("CallDuration"))
    records.record_status(db.session, call_sid, call_status, duration, clock.now())
    db.session.commit()
    return "", 204


@blueprint.get("/voice/prompts/<locale>/<filename>")
def prompt_audio(locale: str, filename: str) -> Response:
    """A recorded prompt, for Twilio's ``<Play>``; cached, since recordings rarely change."""
    if locale not in settings().locales or not _FILENAME.fullmatch(filename):
        abort(404)
    response = send_from_directory(
        voice_settings().prompts_dir / locale, filename, max_age=PROMPT_MAX_AGE
    )
    response.cache_control.public = True
    return response
