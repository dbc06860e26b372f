"""Outbound messages through real Redis and ``guichet worker`` processes, to the fake Twilio."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import Queue
from rq.registry import StartedJobRegistry

from gateway.config import settings
from gateway.db import db
from gateway.jobs import DEFAULT_QUEUE
from gateway.messaging.outbox import queue_send
from gateway.models import Message, MessageKind, MessageStatus
from gateway.schedule import requeue_stale_messages, stale_after
from tests.conftest import REPO_ROOT
from tests.fakes.twilio_api import (
    ACCEPT_THEN_DROP,
    ACCEPT_THEN_HANG,
    HANG,
    SERVER_ERROR,
    FakeTwilioApi,
    Reject,
)
from tests.messaging.conftest import FROM_NUMBER, GUICHET, WorkerSetup, new_contact

NUMBER = "+33698765432"
RETRY_INTERVAL = 1  # SEND_RETRY_INTERVALS in these tests


def queue_and_commit(setup: WorkerSetup) -> int:
    """Queue a message in the test's process; the commit puts its job on Redis."""
    session = db.session
    message = queue_send(
        session,
        to_number=NUMBER,
        body="Votre rendez-vous au CCAS : jeudi 10 h, 3 place de la Mairie.",
        kind=MessageKind.HANDOFF,
        locale="fr",
        contact=new_contact(),
    ).message
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
    return Queue(DEFAULT_QUEUE, connection=Redis.from_url(settings(setup.app).redis_url))


def wait_for_the_retry(setup: WorkerSetup) -> None:
    """Until the job's scheduled retry is due, when a burst worker takes it (RQ schedules to
    the whole second, so that is within ``RETRY_INTERVAL`` of its scheduling)."""
    queue = redis_queue(setup)
    registry = queue.scheduled_job_registry
    deadline = time.monotonic() + RETRY_INTERVAL + 5
    try:
        assert registry.count == 1, "a retry is scheduled"
        while not registry.get_jobs_to_schedule(int(time.time())):
            assert time.monotonic() < deadline, "the retry never fell due"
            time.sleep(0.05)
    finally:
        queue.connection.close()


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
    assert sweep_later() == 0, "the sweeper leaves a row whose retry is scheduled"

    wait_for_the_retry(worker_setup)
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


def kill_mid_send(setup: WorkerSetup, twilio_api: FakeTwilioApi) -> None:
    """Start a worker and kill it, with its work horse, while Twilio holds its request."""
    worker = setup.start_worker()
    assert twilio_api.hanging.wait(timeout=30), "the worker never called Twilio"
    horses = _children(worker.pid)
    assert horses, "the work horse holding the job"
    os.kill(worker.pid, signal.SIGKILL)  # the machine goes: worker first, so none reports
    for horse in horses:
        os.kill(horse, signal.SIGKILL)
    worker.communicate(timeout=10)


def sweep_later() -> int:
    """The sweeper, run at a time when the dead worker's attempt is past any send's length."""
    return requeue_stale_messages(datetime.now(UTC) + stale_after()[0] + timedelta(minutes=1))


def test_a_worker_that_dies_before_twilio_took_the_message_sends_it_once(
    worker_setup: WorkerSetup, twilio_api: FakeTwilioApi
) -> None:
    twilio_api.program(NUMBER, HANG)
    message_id = queue_and_commit(worker_setup)
    kill_mid_send(worker_setup, twilio_api)

    message = load(message_id)
    assert (message.status, message.attempts) == (MessageStatus.SENDING, 1), "visibly unsent"
    assert twilio_api.sent_to(NUMBER) == []

    # RQ's maintenance hands the abandoned job back once the dead worker's heartbeat expires;
    # a job finds the row SENDING, its outcome unknown, and leaves it to the sweeper.
    queue = redis_queue(worker_setup)
    StartedJobRegistry(queue=queue).cleanup(timestamp=time.time() + 3600)
    queue.connection.close()
    wait_for_the_retry(worker_setup)
    worker_setup.run_worker()
    assert load(message_id).status == MessageStatus.SENDING
    assert len(twilio_api.posts()) == 1

    assert sweep_later() == 1  # Twilio is asked first: it holds nothing, so the row is queued
    [lookup] = [request for request in twilio_api.received if request.method == "GET"]
    assert (lookup.form["To"], lookup.form["From"], lookup.answer) == (NUMBER, FROM_NUMBER, "200")
    assert "DateSent>" in lookup.form
    worker_setup.run_worker()

    message = load(message_id)
    [created] = twilio_api.sent_to(NUMBER)
    assert (message.status, message.attempts, message.provider_sid) == (
        MessageStatus.SENT,
        2,
        created["sid"],
    )
    assert sweep_later() == 0
    assert len(twilio_api.posts()) == 2  # the one that hung, the one Twilio took


def test_a_worker_that_dies_after_twilio_took_the_message_does_not_send_it_again(
    worker_setup: WorkerSetup, twilio_api: FakeTwilioApi
) -> None:
    twilio_api.program(NUMBER, ACCEPT_THEN_HANG)
    message_id = queue_and_commit(worker_setup)
    kill_mid_send(worker_setup, twilio_api)
    [created] = twilio_api.sent_to(NUMBER)  # Twilio took it; its answer never arrived
    assert load(message_id).status == MessageStatus.SENDING

    assert sweep_later() == 1
    worker_setup.run_worker()
    assert sweep_later() == 0

    message = load(message_id)
    assert (message.status, message.provider_sid, message.attempts) == (
        MessageStatus.SENT,
        created["sid"],
        1,
    )
    assert message.sent_at is not None
    assert len(twilio_api.posts()) == 1, "the resident got it once"


def test_a_commit_while_redis_is_down_keeps_the_row_for_the_sweeper(
    worker_setup: WorkerSetup,
    twilio_api: FakeTwilioApi,
    caplog: pytest.LogCaptureFixture,
    change_settings,
) -> None:
    app = worker_setup.app
    redis_url = settings(app).redis_url
    change_settings(app, redis_url="redis://127.0.0.1:1/0")
    with caplog.at_level(logging.WARNING, logger="gateway.jobs"):
        message_id = queue_and_commit(worker_setup)  # the hand-off's request does not fail
    assert load(message_id).status == MessageStatus.QUEUED
    [line] = [record.getMessage() for record in caplog.records]
    assert "Redis unreachable" in line and NUMBER not in line

    change_settings(app, redis_url=redis_url)  # Redis is back
    assert requeue_stale_messages(datetime.now(UTC)) == 0, "too recent to call lost"
    assert requeue_stale_messages(datetime.now(UTC) + stale_after()[1] + timedelta(1)) == 1
    worker_setup.run_worker()

    message = load(message_id)
    assert (message.status, message.attempts) == (MessageStatus.SENT, 1)
    assert len(twilio_api.posts()) == 1


def test_a_lost_answer_is_reconciled_not_retried_blindly(
    worker_setup: WorkerSetup, twilio_api: FakeTwilioApi
) -> None:
    twilio_api.program(NUMBER, ACCEPT_THEN_DROP)  # Twilio took it; the answer never came back
    message_id = queue_and_commit(worker_setup)
    worker_setup.run_worker()
    assert load(message_id).status == MessageStatus.SENDING, "outcome unknown: no blind retry"
    queue = redis_queue(worker_setup)
    assert queue.scheduled_job_registry.count == 0 and queue.count == 0, "nor a later one"
    queue.connection.close()
    worker_setup.run_worker()
    [created] = twilio_api.sent_to(NUMBER)

    assert sweep_later() == 1
    message = load(message_id)
    assert (message.status, message.provider_sid) == (MessageStatus.SENT, created["sid"])
    assert len(twilio_api.posts()) == 1


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """A ``redis-server`` of the test's own, on a port of its own, that the test stops."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = Redis.from_url(self.url)
        deadline = time.monotonic() + 30
        while True:
            try:
                client.ping()
                break
            except RedisConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        client.close()

    def stop(self) -> None:
        assert self.process is not None
        self.process.terminate()
        self.process.wait(timeout=30)


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    if server.process is not None and server.process.poll() is None:
        server.stop()


def wait_for_status(message_id: int, status: MessageStatus, seconds: float) -> Message:
    deadline = time.monotonic() + seconds
    while (message := load(message_id)).status != status and time.monotonic() < deadline:
        time.sleep(0.2)
    return message


# About Redis, not the database: run on the production one only, they take a while.
@pytest.mark.backends("postgresql")
def test_the_worker_outlives_a_redis_restart(
    worker_setup: WorkerSetup,
    twilio_api: FakeTwilioApi,
    own_redis: RedisServer,
    tmp_path: Path,
    change_settings,
) -> None:
    worker_setup.env["REDIS_URL"] = own_redis.url
    change_settings(worker_setup.app, redis_url=own_redis.url)
    log_path = tmp_path / "worker.log"
    with log_path.open("wb") as log_file:
        worker = worker_setup.start("worker", output=log_file)
    try:
        first = queue_and_commit(worker_setup)
        assert wait_for_status(first, MessageStatus.SENT, 60).status == MessageStatus.SENT

        before_the_stop = log_path.stat().st_size
        own_redis.stop()
        assert wait_for_log(log_path, before_the_stop, "Redis", 30), (
            "the worker meets the closed connection while Redis is away"
        )
        own_redis.start()

        second = queue_and_commit(worker_setup)
        message = wait_for_status(second, MessageStatus.SENT, 90)
        assert worker.poll() is None, log_path.read_text()
        assert message.status == MessageStatus.SENT
        assert len(twilio_api.sent_to(NUMBER)) == 2
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
    log = log_path.read_text()
    assert worker.returncode == 0, log
    assert NUMBER not in log


def wait_for_log(path: Path, start: int, words: str, seconds: float) -> bool:
    """Whether ``words`` are written to the log at ``path``, past its first ``start`` bytes,
    within ``seconds``."""
    deadline = time.monotonic() + seconds
    while words not in path.read_bytes()[start:].decode(errors="replace"):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


# About Redis, not the database: run on the production one only, they take a while.
@pytest.mark.backends("postgresql")
def test_the_sweeper_outlives_a_redis_restart(
    worker_setup: WorkerSetup, own_redis: RedisServer
) -> None:
    worker_setup.env["REDIS_URL"] = own_redis.url
    # The scheduler wakes for its next job, at least once a minute: a sweep every two seconds
    # has it meet the restart within seconds rather than a minute.
    worker_setup.env["SWEEP_INTERVAL_SECONDS"] = "2"
    cron = subprocess.Popen(
        [GUICHET, "cron"],
        cwd=REPO_ROOT,
        env=worker_setup.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        assert wait_for_sweep(own_redis.url, 60), "the sweeper is queued at the start"
        own_redis.stop()
        own_redis.start()  # empty: nothing of before the restart is left
        # The scheduler meets the lost connection when it next wakes.
        assert wait_for_sweep(own_redis.url, 180), "the sweeper is queued again after it"
        assert cron.poll() is None, cron.communicate(timeout=10)[0].decode()
    finally:
        cron.send_signal(signal.SIGTERM)
        output, _ = cron.communicate(timeout=60)
    assert cron.returncode == 0, output.decode()


def wait_for_sweep(url: str, seconds: float) -> bool:
    """Whether a sweep job reaches the queue of the Redis at ``url`` within ``seconds``."""
    deadline = time.monotonic() + seconds
    client = Redis.from_url(url)
    try:
        while time.monotonic() < deadline:
            try:
                jobs = Queue(DEFAULT_QUEUE, connection=client).jobs
                if any("requeue_stale_messages" in (job.func_name or "") for job in jobs):
                    return True
            except RedisConnectionError:
                pass
            time.sleep(0.5)
        return False
    finally:
        client.close()
