"""Outbound messages through real Redis and ``guichet worker`` processes, to the fake Twilio."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from redis import Redis
from rq import Queue
from rq.registry import StartedJobRegistry

from gateway.db import db
from gateway.jobs import DEFAULT_QUEUE
from gateway.messaging.outbox import queue_message
from gateway.models import Message, MessageKind, MessageStatus
from tests.fakes.twilio_api import HANG, SERVER_ERROR, FakeTwilioApi, Reject
from tests.messaging.conftest import WorkerSetup, new_contact

NUMBER = "+33698765432"
RETRY_INTERVAL = 1  # SEND_RETRY_INTERVALS in these tests


def queue_and_commit(setup: WorkerSetup) -> int:
    """Queue a message in the test's process; the commit puts its job on Redis."""
    session = db.session
    message = queue_message(
        session,
        to_number=NUMBER,
        body="Votre rendez-vous au CCAS : jeudi 10 h, 3 place de la Mairie.",
        kind=MessageKind.HANDOFF,
        locale="fr",
        contact=new_contact(),
    )
    session.commit()
    return message.id


def load(message_id: int) -> Message:
    """The row as committed by the worker, read in a fresh session."""
    db.session.expire_all()
    db.session.rollback()
    message = db.session.get_one(Message, message_id)
    db.session.commit()  # end the read: on SQLite it holds the lock the worker must take
    return message


def redis_queue(setup: WorkerSetup) -> Queue:
    return Queue(DEFAULT_QUEUE, connection=Redis.from_url(setup.app.config["REDIS_URL"]))


def test_worker_sends_once(worker_setup: WorkerSetup, twilio_api: FakeTwilioApi) -> None:
    message_id = queue_and_commit(worker_setup)
    assert load(message_id).status == MessageStatus.QUEUED, "nothing sent before a worker runs"

    worker_setup.run_worker()

    message = load(message_id)
    [created] = twilio_api.sent_to(NUMBER)
    assert (message.status, message.provider_sid, message.attempts) == (
        MessageStatus.SENT,
        created["sid"],
        1,
    )
    assert len(twilio_api.received) == 1


def test_server_error_is_retried_with_backoff(
    worker_setup: WorkerSetup, twilio_api: FakeTwilioApi
) -> None:
    twilio_api.program(NUMBER, SERVER_ERROR)
    message_id = queue_and_commit(worker_setup)

    worker_setup.run_worker()
    message = load(message_id)
    assert (message.status, message.attempts, message.error_code) == (
        MessageStatus.QUEUED,
        1,
        20500,
    )
    queue = redis_queue(worker_setup)
    assert queue.scheduled_job_registry.count == 1, "the retry waits for its interval"
    queue.connection.close()

    time.sleep(RETRY_INTERVAL + 0.2)
    worker_setup.run_worker()
    message = load(message_id)
    assert (message.status, message.attempts, message.error_code) == (MessageStatus.SENT, 2, None)
    assert [r.answer for r in twilio_api.received] == ["500 20500", "201"]
    assert len(twilio_api.sent_to(NUMBER)) == 1


def test_permanent_refusal_is_not_retried(
    worker_setup: WorkerSetup, twilio_api: FakeTwilioApi
) -> None:
    twilio_api.program(NUMBER, Reject(21211))
    message_id = queue_and_commit(worker_setup)

    worker_setup.run_worker()

    message = load(message_id)
    assert (message.status, message.error_code, message.attempts) == (
        MessageStatus.REFUSED,
        21211,
        1,
    )
    queue = redis_queue(worker_setup)
    assert queue.scheduled_job_registry.count == 0 and queue.count == 0
    queue.connection.close()
    assert len(twilio_api.received) == 1


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (the worker's work horse), from /proc."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def test_a_worker_that_dies_mid_send_loses_nothing(
    worker_setup: WorkerSetup, twilio_api: FakeTwilioApi
) -> None:
    twilio_api.program(NUMBER, HANG)
    message_id = queue_and_commit(worker_setup)

    worker = worker_setup.start_worker()
    assert twilio_api.hanging.wait(timeout=30), "the worker never called Twilio"
    horses = _children(worker.pid)
    assert horses, "the work horse holding the job"
    os.kill(worker.pid, signal.SIGKILL)  # the machine goes: worker first, so none reports
    for horse in horses:
        os.kill(horse, signal.SIGKILL)
    worker.communicate(timeout=10)

    message = load(message_id)
    assert (message.status, message.attempts) == (MessageStatus.SENDING, 1), "visibly unsent"
    assert twilio_api.sent_to(NUMBER) == []

    # RQ's maintenance hands an abandoned job back for retry once the dead worker's
    # heartbeat expires (minutes); ask for that cleanup at a time past the expiry.
    queue = redis_queue(worker_setup)
    StartedJobRegistry(queue=queue).cleanup(timestamp=time.time() + 3600)
    queue.connection.close()
    time.sleep(RETRY_INTERVAL + 0.2)
    worker_setup.run_worker()

    message = load(message_id)
    assert (message.status, message.attempts) == (MessageStatus.SENT, 2)
    assert len(twilio_api.sent_to(NUMBER)) == 1
