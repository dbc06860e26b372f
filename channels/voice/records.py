"""One row per call for the statistics: its language, whether it reached a person or sent a
text, and, from Twilio's status callback, how long it lasted and how it ended.

Twilio may deliver callbacks late or out of order; a final status is never replaced by an
earlier one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.models import Call, CallStatus


def _call(session: Session, call_sid: str) -> Call:
    call = session.scalars(select(Call).where(Call.call_sid == call_sid)).first()
    if call is None:
        call = Call(
            call_sid=call_sid, status=CallStatus.IN_PROGRESS, transferred=False, texts_sent=0
        )
        session.add(call)
    return call


def record_turn(
    session: Session, call_sid: str, *, locale: str, transferred: bool, texted: bool
) -> None:
    """Note what this turn of the call did (its menu language, a transfer, a text queued)."""
    if not call_sid:
        return
    call = _call(session, call_sid)
    call.locale = locale
    call.transferred = call.transferred or transferred
    call.texts_sent += int(texted)


def record_status(
    session: Session, call_sid: str, status: CallStatus, duration: int | None, at: datetime
) -> None:
    """Apply a status callback; a final status stays final."""
    call = _call(session, call_sid)
    if call.status.final and not status.final:
        return
    call.status = status
    if duration is not None:
        call.duration_seconds = duration
    if status.final and call.ended_at is None:
        call.ended_at = at
