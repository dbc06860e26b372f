"""Delivery reports: the provider tells us what became of a message it accepted.

Callbacks may arrive out of order (a late "sent" after "delivered"), so a status only ever
moves forward: queued (or answered, for a reply in a webhook's TwiML) → sending → sent → one
final state (delivered, undelivered or failed). A reply's SID is unknown until its first
report, which names the row in its URL (``?reply=<id>``, part of what Twilio signs). The
``/sms/status`` view is a thin adapter that checks the signature and calls
:func:`apply_status`; the caller commits.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import clock
from gateway.contacts import opt_out
from gateway.messaging.provider import UNSUBSCRIBED
from gateway.models import Contact, Direction, Message, MessageKind, MessageStatus

FINAL = frozenset(
    {
        MessageStatus.DELIVERED,
        MessageStatus.UNDELIVERED,
        MessageStatus.FAILED,
        MessageStatus.REFUSED,
    }
)
# How far along a message is; a report never moves it to a lower rank, nor between finals.
RANK = {
    MessageStatus.ANSWERED: 0,
    MessageStatus.QUEUED: 0,
    MessageStatus.SENDING: 1,
    MessageStatus.SENT: 2,
    **{status: 3 for status in FINAL},
}
# The delivery statuses providers report (Twilio's words), as ours.
REPORTED = {
    "accepted": MessageStatus.QUEUED,
    "scheduled": MessageStatus.QUEUED,
    "queued": MessageStatus.QUEUED,
    "sending": MessageStatus.SENDING,
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.DELIVERED,
    "undelivered": MessageStatus.UNDELIVERED,
    "failed": MessageStatus.FAILED,
    "canceled": MessageStatus.FAILED,
}


def apply_status(
    session: Session, sid: str, status: str, error_code: int | None, reply_id: int | None = None
) -> Message | None:
    """Record a delivery report for the outbound message ``sid``, or for the reply row
    ``reply_id`` that has no SID yet (it takes this one); None if we know no such message.

    An unknown status word or a report that would move backwards changes nothing. Error 21610
    (the recipient unsubscribed at the carrier) opts the contact out whatever the order.
    """
    message = session.scalar(
        select(Message).where(Message.provider_sid == sid, Message.direction == Direction.OUTBOUND)
    )
    if message is None and reply_id is not None:
        message = session.scalar(
            select(Message).where(
                Message.id == reply_id,
                Message.kind == MessageKind.REPLY,
                Message.provider_sid.is_(None),
            )
        )
        if message is not None:
            message.provider_sid = sid
    if message is None:
        return None
    reported = REPORTED.get(status.strip().lower())
    if reported is not None and RANK[reported] > RANK.get(message.status, RANK[reported]):
        message.status = reported
        if error_code:
            message.error_code = error_code
        if reported in FINAL:
            message.to_number = None  # a final state keeps no number
    if error_code == UNSUBSCRIBED and message.contact_id is not None:
        contact = session.get(Contact, message.contact_id)
        if contact is not None:
            opt_out(contact, clock.now())
    return message
