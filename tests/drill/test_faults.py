"""The fault drill: residents text and call while the worker, Redis or the database fail.

Each scenario runs a short stream of signed webhooks against the real stack
(:func:`tests.drill.conftest.stack`): residents texting from several numbers, callers pressing
``#`` on a place to get it by SMS. It breaks one thing in the middle, lets the system settle
(a bounded wait) and counts what residents would see: every message answered 2xx is stored
with exactly one answer; every hand-off the caller was promised reaches Twilio exactly once
and its row says so; no webhook answers 500. A scenario lists every count that is off, not
only the first.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from gateway.config import settings
from gateway.contacts import phone_hash
from gateway.db import db
from gateway.models import Contact, Direction, Message, MessageKind, MessageStatus
from tests.drill.conftest import Stack, settle
from tests.sms.conftest import PUBLIC_BASE_URL, read_twiml, sign, twilio_form
from tests.voice.conftest import Caller, new_number

pytestmark = pytest.mark.drill

HANDOFF_SAID = "We are sending these details to your phone by text message."
PLACE = "2111"  # English, Food, the first place: then "#" sends it
SCRIPT = ("ou manger ce soir", "2", "SUITE", "douche", "1", "AIDE", "medecin gratuit", "3")
SETTLE_SECONDS = 30  # after the stream: the longest a queued send may take to arrive


@dataclass(frozen=True)
class Texted:
    """One SMS webhook: the form Twilio posted, and what the server answered."""

    form: dict[str, str]
    status: int
    answer: str | None

    @property
    def sid(self) -> str:
        return self.form["MessageSid"]


@dataclass(frozen=True)
class Called:
    """One call that pressed ``#`` on a place; ``requested``: the caller was told the SMS is
    on its way (the hand-off was accepted)."""

    number: str
    requested: bool
    failure: str | None = None


@dataclass
class Stream:
    """Residents texting (``texters`` numbers, one message each ``every`` seconds) and calling
    (``callers`` calls, one each ``every`` seconds), in threads, at a steady pace."""

    stack: Stack
    texters: int = 3
    messages: int = 6
    callers: int = 6
    every: float = 0.5
    texted: list[Texted] = field(default_factory=list)
    called: list[Called] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def text(self, number: str) -> None:
        with self.stack.app.app_context():
            for body in SCRIPT[: self.messages]:
                self.deliver(twilio_form(number, body))
                time.sleep(self.every)

    def deliver(self, form: dict[str, str]) -> Texted:
        """Post ``form`` signed to ``/sms`` (a first delivery or Twilio's retry of one)."""
        headers = {"X-Twilio-Signature": sign(PUBLIC_BASE_URL + "/sms", form)}
        response = self.stack.http.post("/sms", form, headers)
        ok = response.status_code == 200
        texted = Texted(
            form, response.status_code, read_twiml(response.get_data()).text if ok else None
        )
        with self._lock:
            self.texted.append(texted)
        return texted

    def call(self) -> None:
        with self.stack.app.app_context():
            for _ in range(self.callers):
                http = self.stack.http.sharing()
                caller = Caller(http, new_number())  # type: ignore[arg-type]
                try:
                    caller.dial()
                    for key in PLACE:
                        caller.press(key)
                    said = caller.press("#").says()
                    called = Called(
                        caller.number or "", bool(said) and said[0].text == HANDOFF_SAID
                    )
                except AssertionError:
                    called = Called(caller.number or "", False, f"answered {http.last}")
                with self._lock:
                    self.called.append(called)
                time.sleep(self.every)

    @contextmanager
    def running(self) -> Iterator[Stream]:
        """The stream runs in the background while the block breaks things; it ends with it."""
        with ThreadPoolExecutor(self.texters + 1) as pool:
            futures = [pool.submit(self.text, new_number()) for _ in range(self.texters)]
            futures.append(pool.submit(self.call))
            yield self
            for future in futures:
                future.result()

    def webhooks_done(self) -> int:
        return len(self.stack.http.statuses)


def _fresh() -> None:
    """End the test's read so that the next one sees what the processes committed since."""
    db.session.rollback()


def replies_per_message(sids: list[str]) -> dict[str, int]:
    """For each stored inbound message among ``sids``: how many answers are stored for it."""
    _fresh()
    reply = aliased(Message)
    rows = db.session.execute(
        select(Message.provider_sid, func.count(reply.id))
        .outerjoin(reply, and_(reply.in_reply_to_id == Message.id, reply.kind == MessageKind.REPLY))
        .where(Message.direction == Direction.INBOUND, Message.provider_sid.in_(sids))
        .group_by(Message.provider_sid)
    ).all()
    return {str(sid): int(count) for sid, count in rows}


def handoff_rows(numbers: list[str]) -> list[Message]:
    """The hand-off rows queued for ``numbers``."""
    _fresh()
    key = settings().phone_hash_key
    hashes = [phone_hash(number, key) for number in numbers]
    return list(
        db.session.scalars(
            select(Message)
            .join(Contact, Contact.id == Message.contact_id)
            .where(Message.kind == MessageKind.HANDOFF, Contact.phone_hash.in_(hashes))
        )
    )


def requested_numbers(stream: Stream) -> list[str]:
    return [called.number for called in stream.called if called.requested]


def sends_settled(stream: Stream) -> bool:
    """Every promised hand-off reached Twilio and its row is no longer waiting."""
    received = Counter(message["to"] for message in stream.stack.twilio.created)
    requested = requested_numbers(stream)
    rows = handoff_rows(requested)
    return all(received[number] for number in requested) and all(
        row.status is MessageStatus.SENT for row in rows
    )


def answers_settled(stream: Stream) -> bool:
    answered = [texted.sid for texted in stream.texted if texted.status == 200]
    return set(replies_per_message(answered)) == set(answered)


def send_findings(stream: Stream) -> list[str]:
    """What is off between the hand-offs promised, Twilio's record and our rows."""
    findings = []
    requested = requested_numbers(stream)
    received = Counter(message["to"] for message in stream.stack.twilio.created)
    sid_for = {message["to"]: message["sid"] for message in stream.stack.twilio.created}
    lost = [number for number in requested if received[number] == 0]
    doubled = {number: received[number] for number in requested if received[number] > 1}
    called = {called.number for called in stream.called}
    unasked = sorted((set(received) & called) - set(requested))
    if lost:
        findings.append(f"{len(lost)} of {len(requested)} hand-offs never reached Twilio")
    if doubled:
        findings.append(f"hand-offs sent more than once: {sorted(doubled.values())}")
    if unasked:
        findings.append(f"{len(unasked)} callers got an SMS they were not promised")
    rows = handoff_rows(requested)
    per_contact = Counter(row.contact_id for row in rows)
    if len(per_contact) != len(requested) or any(n != 1 for n in per_contact.values()):
        findings.append(f"{len(rows)} hand-off rows for {len(requested)} hand-offs")
    states = Counter(str(row.status) for row in rows if row.status is not MessageStatus.SENT)
    if states:
        findings.append(f"hand-off rows left unsent: {dict(states)}")
    sent = [row for row in rows if row.status is MessageStatus.SENT]
    wrong = [row.id for row in sent if row.provider_sid not in sid_for.values()]
    if wrong:
        findings.append(f"{len(wrong)} sent rows do not name the SMS Twilio holds")
    return findings


def answer_findings(stream: Stream) -> list[str]:
    """What is off between the messages answered 2xx and the answers stored."""
    answered = [texted for texted in stream.texted if texted.status == 200]
    stored = replies_per_message([texted.sid for texted in answered])
    findings = []
    lost = [texted for texted in answered if texted.sid not in stored]
    unanswered = [texted for texted in answered if stored.get(texted.sid) == 0]
    doubled = [texted for texted in answered if stored.get(texted.sid, 0) > 1]
    empty = [texted for texted in answered if not texted.answer]
    if lost:
        findings.append(f"{len(lost)} of {len(answered)} messages answered 200 were not stored")
    if unanswered:
        findings.append(f"{len(unanswered)} stored messages have no stored answer")
    if doubled:
        findings.append(f"{len(doubled)} messages have more than one stored answer")
    if empty:
        findings.append(f"{len(empty)} messages answered 200 with no text for the resident")
    return findings


def status_findings(stack: Stack, allowed: set[int]) -> list[str]:
    statuses = Counter(status for _path, status in stack.http.statuses)
    off = {status: n for status, n in statuses.items() if status not in allowed}
    if not off:
        return []
    return [
        f"webhooks answered {dict(sorted(off.items()))} (allowed {sorted(allowed)}), "
        f"of {sum(statuses.values())}; no answer: {stack.http.failures[:3]}; "
        f"server errors:\n{stack.server_errors()}"
    ]


def report(stream: Stream, findings: list[str]) -> str:
    calls = Counter("requested" if c.requested else c.failure or "refused" for c in stream.called)
    callers = {called.number for called in stream.called}
    at_twilio = sum(message["to"] in callers for message in stream.stack.twilio.created)
    return (
        f"{len(stream.texted)} SMS webhooks, calls {dict(calls)}, "
        f"{at_twilio} hand-offs at Twilio:\n- " + "\n- ".join(findings)
    )


def test_steady_stream_answers_and_sends_each_message_once(stack: Stack) -> None:
    stream = Stream(stack)
    with stream.running():
        pass
    settle(lambda: answers_settled(stream) and sends_settled(stream), SETTLE_SECONDS)

    findings = status_findings(stack, {200}) + answer_findings(stream) + send_findings(stream)
    if len(requested_numbers(stream)) != stream.callers:
        findings.append(f"{len(requested_numbers(stream))} of {stream.callers} hand-offs accepted")
    assert not findings, report(stream, findings)


def test_a_worker_killed_mid_send_loses_and_doubles_nothing(stack: Stack) -> None:
    stream = Stream(stack, texters=2, callers=10, every=0.4)
    with stream.running():
        in_flight = settle(lambda: stack.twilio.holding > 0 and len(stack.twilio.created) >= 2, 30)
        assert in_flight, "no send was ever in flight: " + stack.log("worker", 8)
        stack.kill_worker()
        time.sleep(1)
        stack.worker = stack.start("worker")
    settle(lambda: answers_settled(stream) and sends_settled(stream), SETTLE_SECONDS)

    findings = status_findings(stack, {200}) + answer_findings(stream) + send_findings(stream)
    assert not findings, report(stream, findings) + "\nworker:\n" + stack.log("worker", 8)


def test_redis_down_fails_no_webhook_and_sends_everything_once_it_is_back(
    stack: Stack,
) -> None:
    stack.twilio.latency = 2.0  # sends slower than calls come: jobs wait in Redis when it dies
    stream = Stream(stack, texters=3, messages=8, callers=8, every=1.5)
    with stream.running():
        settle(lambda: stream.webhooks_done() >= 10, 30)
        stack.redis.kill()
        time.sleep(10)
        stack.redis.start()
    settle(lambda: answers_settled(stream) and sends_settled(stream), SETTLE_SECONDS)

    findings = status_findings(stack, {200}) + answer_findings(stream) + send_findings(stream)
    for name, process in (("worker", stack.worker), ("clock", stack.cron)):
        if (exited := stack.exited(name, process)) is not None:
            findings.append(exited)
    assert not findings, report(stream, findings)


def test_database_down_answers_503_and_loses_nothing_answered(stack: Stack) -> None:
    stream = Stream(stack, texters=3, messages=8, callers=0, every=1.0)
    with stream.running():
        settle(lambda: stream.webhooks_done() >= 6, 30)
        stack.database.cut()
        time.sleep(1)
        health = stack.http.get("/healthz")
        time.sleep(3)
        stack.database.restore()
    settle(lambda: answers_settled(stream), 15)

    findings = status_findings(stack, {200, 503}) + answer_findings(stream)
    if health.status_code != 503:
        findings.append(f"/healthz answered {health.status_code} with the database down")
    refused = [texted for texted in stream.texted if texted.status != 200]
    if not refused:
        findings.append("no webhook met the outage: the drill broke nothing")
    retried = [stream.deliver(texted.form) for texted in refused]  # Twilio's retries
    not_answered = [texted for texted in retried if texted.status != 200 or not texted.answer]
    if not_answered:
        findings.append(
            f"{len(not_answered)} of {len(retried)} retries after recovery got no answer "
            f"(statuses {sorted(Counter(t.status for t in not_answered).items())})"
        )
    stored = replies_per_message([texted.sid for texted in retried])
    if any(stored.get(texted.sid) != 1 for texted in retried):
        findings.append(
            f"answers stored per retried message: {sorted(Counter(stored.values()).items())} "
            f"(of {len(retried)}; each should have exactly 1)"
        )
    assert not findings, report(stream, findings)
