"""A HANDOFF reply's service by SMS to the resident's own phone, and nowhere else.

The engine says HANDOFF (voice ``#``: it checked the caller has a number and did not opt out);
the channel hands the reply here, and this composes the text and queues it through the outbox,
as a row first and a job after the commit. The text is written for reading later: the week's
hours rather than "open now".

One call sends each service at most once, keyed on the channel's id of the call (Twilio's
``CallSid``: a replayed or repeated ``#`` finds the first message), and at most
``HANDOFF_LIMIT_PER_CALL`` services; the number's hourly limit and the queued share of the
daily cap apply as to every queued message. The key holds a keyed hash of that id, not the id
itself: the calls table knows no caller, and a message row must not tell which call was whose.
"""

from __future__ import annotations

import hashlib
import hmac

from flask_babel import force_locale

from gateway.config import settings
from gateway.conversation import LineRole, Reply
from gateway.db import db
from gateway.directory.describe import weekly_hours_lines
from gateway.messaging.outbox import Once, Outcome, queue_send
from gateway.models import Contact, MessageKind

# The lines of the reply the message keeps, in order; the week's hours come after them.
_ROLES = (LineRole.ADDRESS, LineRole.PHONE, LineRole.ACCESS)


def message_body(reply: Reply) -> str:
    """The service as a text message: name, address, phone, conditions, hours of the week."""
    lines = [reply.title.text] if reply.title is not None else []
    lines += [line.text for role in _ROLES for line in reply.items if line.role is role]
    if reply.service is not None:
        with force_locale(reply.locale):
            week = weekly_hours_lines(reply.service.weekly)
        lines += week or [line.text for line in reply.items if line.role is LineRole.HOURS]
    return "\n".join(line for line in lines if line)


def send_details(reply: Reply, contact: Contact, number: str, call_id: str) -> Outcome:
    """Queue ``reply``'s service to ``number`` (the caller's own, ``contact``) for the call
    the channel knows as ``call_id``; the outcome says whether it was queued, or why not."""
    service = reply.service.id if reply.service is not None else ""
    key = settings().phone_hash_key.encode("utf-8")
    call = hmac.new(key, call_id.encode("utf-8"), hashlib.sha256).hexdigest()[:32]
    return queue_send(
        db.session,
        to_number=number,
        body=message_body(reply),
        kind=MessageKind.HANDOFF,
        locale=reply.locale,
        contact=contact,
        once=Once(f"handoff:{call}", service, settings().handoff_limit_per_call),
    ).outcome
