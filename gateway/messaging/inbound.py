"""One text message in, at most one out, whatever channel carried it: SMS (the webhook,
``guichet sms``, the dev phone) and WhatsApp take this one path. A channel only reads its
request into an :class:`IncomingText` and writes the :class:`Exchange`'s text in its medium;
how a reply is laid out as text it says with a :class:`TextFormat`.

:func:`receive` first stores the message and commits it, so nothing a resident sends is lost;
the unique ``provider_sid`` (Twilio's MessageSid) makes a retried or concurrent delivery of the
same message fail that insert, and it gets the stored answer instead of a second one (or the
first, if the message was stored but its answering failed). Then the engine answers, always,
so that STOP, START and FORGET take effect even when we stay silent. What is sent is the
engine's reply in the channel's text format, unless Twilio already answered an opt-out keyword
itself (``OptOutType``), the number is over its hourly limit (one notice, then silence) or the
city over its daily segment cap. What is sent is stored as a REPLY row with its
encoding and segments, linked to the message it answers, in one final commit.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from gateway.config import settings
from gateway.contacts import CONTACT_ID_BY_HASH, create_contact, sender_hash
from gateway.conversation import Inbound, Reply, handle
from gateway.db import db
from gateway.directory.describe import time_phrase
from gateway.messaging import budget, limits
from gateway.messaging.gsm import SmsText
from gateway.models import Contact, Direction, Message, MessageKind, MessageStatus
from gateway.privacy import scrub_personal

log = logging.getLogger(__name__)


class Outcome(enum.StrEnum):
    """What became of a message, for logs, the CLI and the dev phone."""

    ANSWERED = "answered"
    REPEATED = "repeated"  # a delivery of a message already received: its stored answer
    CARRIER = "carrier"  # Twilio answered the opt-out keyword itself: nothing more
    NOTICE = "notice"  # the number reached its hourly limit: told so, once
    SILENCED = "silenced"  # within the hour after the notice
    OVER_CAP = "over_cap"  # the city's daily segment cap is reached
    NO_SENDER = "no_sender"  # not a phone number we could answer


@dataclass(frozen=True)
class TextFormat:
    """How a channel writes text: the engine's reply, and a plain sentence (a notice, an
    answer stored earlier), each as the text to send with its encoding and segments (what the
    daily cap counts)."""

    reply: Callable[[Reply], SmsText]
    plain: Callable[[str], SmsText]


@dataclass(frozen=True)
class IncomingText:
    """A text message as a channel received it.

    ``sender`` is the resident's number in E.164 (a channel strips its own address prefix,
    such as WhatsApp's ``whatsapp:``), so that one number is one contact on every channel.
    ``sid`` is unique per message (Twilio's MessageSid); ``opt_out_type`` is Twilio's
    ``OptOutType`` (STOP, START, HELP) when Twilio recognised and answered the keyword.
    """

    channel: str
    sid: str
    sender: str
    body: str
    received_at: datetime
    opt_out_type: str | None = None

    @property
    def inbound(self) -> Inbound:
        """The message as the engine takes it."""
        return Inbound(self.channel, self.sender, self.body, None, None, self.received_at)


@dataclass(frozen=True)
class Exchange:
    """The answer to send (``sms``; None: answer nothing) and how it came about.

    ``reply`` is the engine's, when it ran for this delivery; ``stored_id`` the id of the
    REPLY row that records the answer, which its delivery reports name.
    """

    outcome: Outcome
    text: SmsText | None
    reply: Reply | None = None
    stored_id: int | None = None


# Built once: the statements every message costs (building one cost more than its round trip).
_STORE = (
    insert(Message).values(contact_id=CONTACT_ID_BY_HASH).returning(Message.id, Message.contact_id)
)
_INSERT = insert(Message).returning(Message.id)
_HANDLED = update(Message).where(Message.id == bindparam("message_id"))
# On PostgreSQL, the message marked answered and its answer stored in one round trip: the
# UPDATE rides in the INSERT's WITH (SQLite has no DML in WITH), with the answer's locale and
# status. Every value is a named parameter of its own ("answer_…"): a parameter named after a
# column would be SET by the UPDATE too, and the columns' Python defaults are not applied.
_ANSWER_COLUMNS = (
    "direction",
    "kind",
    "channel",
    "contact_id",
    "in_reply_to_id",
    "body",
    "locale",
    "encoding",
    "segments",
    "status",
    "created_at",
    "attempts",
)
_ANSWERED_WITH_ANSWER = (
    insert(Message)
    .values({column: bindparam(f"answer_{column}") for column in _ANSWER_COLUMNS})
    .add_cte(
        update(Message)
        .where(Message.id == bindparam("answer_in_reply_to_id"))
        .values(locale=bindparam("answer_locale"), status=bindparam("answer_status"))
        .cte("handled")
    )
    .returning(Message.id)
)
# The contact's turn (gateway.contacts.take_turn), the contact, and whether another delivery
# answered the message meanwhile, in one statement: on PostgreSQL it locks the message's row
# too, and a statement that waited for a lock reads the rows it locked as the other
# transaction left them.
_TURN = (
    select(Contact, Message.locale)
    .join(Message, Message.contact_id == Contact.id)
    .where(Contact.id == bindparam("contact_id"), Message.id == bindparam("message_id"))
    .with_for_update()
    .execution_options(populate_existing=True)
)
_BY_SID = select(Message.id, Message.contact_id).where(
    Message.provider_sid == bindparam("sid"), Message.direction == Direction.INBOUND
)


def receive(incoming: IncomingText, text_format: TextFormat) -> Exchange:
    """Store, answer and record one text message (uses ``db.session``; commits twice).

    A connection found dead (the database restarted, a proxy cut it: the engine does not
    ping before each use, :func:`gateway.db.make_engine`) costs one more try on a fresh
    connection, as a retry by Twilio would: the message is stored once, answered once.
    """
    try:
        return _receive(incoming, text_format)
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
        log.warning("database connection lost: message received again on a new one")
        db.session.rollback()
        return _receive(incoming, text_format)


def _receive(incoming: IncomingText, text_format: TextFormat) -> Exchange:
    """:func:`receive`, one try.

    The message is committed first, then answered in a second transaction that waits its
    turn among the contact's messages (:func:`gateway.contacts.take_turn`). A delivery of a
    message already stored (Twilio's retry after a failure, or a copy arriving at the same
    time) gets the stored answer, or, if the message was stored but never handled (its
    answering failed: the database went away, the final commit failed), answers it now:
    whichever delivery's turn comes first answers, the others find it handled.

    An ordinary message costs one statement in the first transaction (the insert finds the
    contact) and reads the contact once, in the second, with its turn. Nothing is flushed
    behind the code's back: the engine flushes its writes once, the commits flush the rest.
    """
    session = db.session
    at = incoming.received_at.astimezone(UTC)
    digest = sender_hash(incoming.sender)
    with session.no_autoflush:
        try:
            message_id, contact_id = _store(session, incoming, digest, at)
            session.commit()
        except IntegrityError:
            session.rollback()
            stored = session.connection().execute(_BY_SID, {"sid": incoming.sid}).first()
            if stored is None:
                raise  # not a second delivery: some other constraint refused the message
            log.info("message %s delivered again", stored.id)
            # Its sender as stored: a contact this delivery created went with the rollback,
            # and one forgotten since (FORGET) is not to be made again.
            message_id, contact_id = stored.id, stored.contact_id
            if contact_id is None:
                return _stored_answer(session, message_id, text_format)
        if contact_id is None:
            return Exchange(Outcome.NO_SENDER, None)
        return _answer(session, incoming, text_format, at, message_id, contact_id)


def _store(
    session: Session, incoming: IncomingText, digest: str | None, at: datetime
) -> tuple[int, int | None]:
    """Insert the message, linked to its sender's contact in the same statement; a first
    message creates the contact after it. The message's id and its contact's."""
    connection = session.connection()
    values = {
        **_received(incoming, at),
        "body": stored_body(incoming.body),
        "status": MessageStatus.RECEIVED,
    }
    if digest is None:
        return connection.execute(_INSERT, values).scalar_one(), None
    message_id, contact_id = connection.execute(_STORE, {**values, "phone_hash": digest}).one()
    if contact_id is None:
        contact_id = create_contact(session, digest, incoming.sender)
        connection.execute(
            update(Message).where(Message.id == message_id).values(contact_id=contact_id)
        )
    return message_id, contact_id


def _answer(
    session: Session,
    incoming: IncomingText,
    text_format: TextFormat,
    at: datetime,
    message_id: int,
    contact_id: int,
) -> Exchange:
    """Answer the stored message ``message_id`` in the contact's turn, and record it."""
    in_turn = session.execute(_TURN, {"contact_id": contact_id, "message_id": message_id}).first()
    if in_turn is None:  # forgotten meanwhile (FORGET), with its messages
        stored = session.connection().execute(_BY_SID, {"sid": incoming.sid}).first()
        return _stored_answer(session, stored.id if stored else None, text_format)
    contact, handled_in = in_turn
    if handled_in is not None:
        return _stored_answer(session, message_id, text_format)
    gate = limits.gate(session, contact.id, at, settings().sms_rate_limit_per_hour)
    reply = handle(incoming.inbound, contact)
    outcome, sms = _what_to_send(incoming, reply, gate, at, text_format)
    if sms is not None and not budget.take(session, sms.segments, at):
        log.warning("daily segment cap reached: message %s left unanswered", message_id)
        outcome, sms = Outcome.OVER_CAP, None

    connection = session.connection()
    forgotten = reply.hints.forgotten
    handled = {
        "locale": reply.locale,
        "status": MessageStatus.ANSWERED if sms is not None else MessageStatus.RECEIVED,
    }
    answered_too = sms is not None and not forgotten and connection.dialect.name == "postgresql"
    if forgotten:
        # The engine deleted the contact and its messages, this one included. Only the SID
        # stays, with no body and no contact, so that a retry of it is not answered again.
        anonymous = _received(incoming, at)
        message_id = connection.execute(_INSERT, {**anonymous, **handled}).scalar_one()
    elif not answered_too:
        connection.execute(_HANDLED, {"message_id": message_id, **handled})
    answer_id = None
    if sms is not None:
        answer = {
            "direction": Direction.OUTBOUND,
            "kind": MessageKind.REPLY,
            "channel": incoming.channel,
            "contact_id": None if forgotten else contact.id,
            "in_reply_to_id": message_id,
            "body": sms.text,
            "locale": reply.locale,
            "encoding": sms.encoding,
            "segments": sms.segments,
            "status": MessageStatus.ANSWERED,
            "created_at": at,
        }
        if answered_too:
            statement = _ANSWERED_WITH_ANSWER
            answer = {f"answer_{column}": value for column, value in answer.items()}
            answer["answer_attempts"] = 0
        else:
            statement = _INSERT
        answer_id = connection.execute(statement, answer).scalar_one()
    session.commit()
    return Exchange(outcome, sms, reply, answer_id)


def _received(incoming: IncomingText, at: datetime) -> dict[str, object]:
    """The columns of a received message's row that say where it came from and when: those
    its anonymous copy after FORGET keeps too."""
    return {
        "direction": Direction.INBOUND,
        "kind": MessageKind.MESSAGE,
        "channel": incoming.channel,
        "provider_sid": incoming.sid,
        "created_at": at,
    }


def stored_body(body: str) -> str:
    """The body as stored: as received, but for NUL, which PostgreSQL cannot keep in text,
    and for the phone numbers and e-mail addresses typed into it (``scrub_personal``)."""
    return scrub_personal(body.replace("\x00", "\ufffd"))


def _stored_answer(session: Session, message_id: int | None, text_format: TextFormat) -> Exchange:
    """The stored answer to ``message_id`` (nothing if it got none, or is gone with its
    contact)."""
    answer = None
    if message_id is not None:
        answer = session.execute(
            select(Message.id, Message.body).where(
                Message.in_reply_to_id == message_id, Message.kind == MessageKind.REPLY
            )
        ).first()
    if answer is None or not answer.body:
        return Exchange(Outcome.REPEATED, None)
    return Exchange(Outcome.REPEATED, text_format.plain(answer.body), stored_id=answer.id)


def _what_to_send(
    incoming: IncomingText,
    reply: Reply,
    gate: limits.Gate,
    at: datetime,
    text_format: TextFormat,
) -> tuple[Outcome, SmsText | None]:
    if incoming.opt_out_type:
        return Outcome.CARRIER, None
    if gate is limits.Gate.SILENCE:
        return Outcome.SILENCED, None
    if gate is limits.Gate.NOTICE:
        return Outcome.NOTICE, text_format.plain(limit_notice(reply.locale, at + limits.WINDOW))
    return Outcome.ANSWERED, text_format.reply(reply)


def limit_notice(locale: str, until: datetime) -> str:
    """The one message a number gets when it reaches its hourly limit, in its language."""
    city_time = until.astimezone(ZoneInfo(settings().timezone))
    with force_locale(locale):
        return _(
            "You have sent us many messages this hour. We will answer again from %(time)s.",
            time=time_phrase(city_time),
        )
