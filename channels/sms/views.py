"""The SMS channel's routes: Twilio's messaging webhook and its delivery reports.

Both are signed by Twilio (:func:`channels.twilio_auth.twilio_webhook`: 403 otherwise). The
webhook commits the message before it does anything else and once more when it has answered
(:func:`gateway.messaging.inbound.receive`); its answer asks Twilio to report the reply's fate to
``/sms/status?reply=<row id>``. The status callback commits once.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, request, url_for

from channels import twilio_fields
from channels.sms import adapter
from channels.twilio_auth import twilio_webhook
from gateway.db import db
from gateway.messaging.inbound import Exchange
from gateway.messaging.provider import STATUS_CALLBACK_PATH
from gateway.messaging.status import apply_status

blueprint = Blueprint("sms", __name__)


@blueprint.post("/sms")
@twilio_webhook
def inbound() -> Response:
    """A resident's text message: answer it with TwiML (an empty one to say nothing)."""
    return answer(adapter.receive(adapter.read(request.form)))


def answer(exchange: Exchange) -> Response:
    """The webhook's TwiML for ``exchange``, for every Twilio text channel (SMS, WhatsApp): the
    reply, whose fate Twilio reports to this channel's status callback."""
    status_url = None
    if exchange.stored_id is not None:
        status_url = url_for("sms.status", reply=exchange.stored_id)
    return adapter.respond(exchange.text, status_url)


@blueprint.post(STATUS_CALLBACK_PATH)
@twilio_webhook
def status() -> tuple[str, int]:
    """Twilio's delivery report for a message we sent: it only ever moves forward.

    400 for a report without a status, or whose SID, error code or reply row is malformed."""
    sid = twilio_fields.sid(request.form, *adapter.SID_FIELDS)
    reported = request.form.get("MessageStatus") or request.form.get("SmsStatus")
    if not reported:
        abort(400)
    code = twilio_fields.count(request.form.get("ErrorCode"))
    reply_id = twilio_fields.count(request.args.get("reply"))
    apply_status(db.session, sid, reported, code, reply_id)
    db.session.commit()
    return "", 204
