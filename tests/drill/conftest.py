"""The Procfile's stack, for real, with faults to inject: the fault drill's fixtures.

:func:`stack` runs gunicorn (2 workers, ``wsgi:app``), ``guichet worker`` and ``guichet cron``
on the demo city in a PostgreSQL schema of the drill's own, with a Redis server of its own
(killed and restarted by the drill) and the local Twilio stand-in as the REST API. Every
process reaches PostgreSQL through :class:`TcpProxy`, which the drill cuts to make the database
unreachable. Webhooks are posted over HTTP, signed as Twilio signs them, by the SMS and voice
tests' own helpers (:class:`tests.voice.conftest.Caller` over :class:`HttpClient`).

The stack starts once for the module (a gunicorn worker takes seconds to import the app);
each scenario gets it whole again (:meth:`Stack.mend`: whatever the one before killed is
started again) and counts only its own numbers and webhooks. Every process is stopped when
the module ends, whatever happened.
"""

from __future__ import annotations

import http.client
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from sqlalchemy.engine import make_url
from werkzeug.wrappers import Response

from gateway import create_app
from gateway.cli import DEMO_SERVICES, import_hsds_path
from tests.conftest import REPO_ROOT, db_engine_dispose, fresh_database_url, settings_for
from tests.fakes.twilio_api import FakeTwilioApi
from tests.messaging.conftest import WorkerSetup
from tests.processes import free_port, kill, procfile, serve, stop, wait_listening
from tests.sms.conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    PUBLIC_BASE_URL,
    sign,
    sms_settings,
    twilio_form,
)

# Seconds Twilio waits for a webhook's answer before it gives up on it.
TWILIO_TIMEOUT = 15
# Seconds a gunicorn worker may take to import the app and answer its first message, on a
# machine busy with other test runs (a cold start is not what the drill measures).
WARM_UP_TIMEOUT = 120
NO_ANSWER = 0  # the status recorded for a request the server never answered
# Seconds the stand-in takes to answer a send it accepted: sends are in flight long enough
# for a worker to die in the middle of one.
TWILIO_LATENCY = 0.3
# What the drill shortens so that a run settles in seconds. SEND_RETRY_INTERVALS exists; the
# sweeper's two do not yet (gateway/schedule.py has 600 s and one hour written in): a process
# ignores a setting it does not know, so they take effect once the app reads them.
DRILL_SETTINGS = {
    "SEND_RETRY_INTERVALS": "1,1,2,2,4",
    "SWEEP_INTERVAL_SECONDS": "2",
    "SEND_STALE_AFTER_SECONDS": "3",
    "TWILIO_MPS": "50",
    "TESTING": "false",  # as in production: errors are answered, never propagated
}


class RedisServer:
    """A ``redis-server`` of the drill's own on a free port, without persistence: killed, it
    comes back empty, as a Redis that lost its memory."""

    def __init__(self, log: Path) -> None:
        self.port = free_port()
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
                + ["--save", "", "--appendonly", "no"],
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_listening(self.process, self.port, self.log)

    def kill(self) -> None:
        if self.process is not None:
            kill(self.process)
            self.process = None


class TcpProxy:
    """Forwards a loopback port to ``target``; :meth:`cut` makes the target unreachable.

    Cut, the port refuses connections and every connection open through it is closed, as a
    database server that went away; :meth:`restore` listens again on the same port. A dozen
    lines of sockets: toxiproxy, the maintained tool for this, needs a server binary this
    machine does not have, and the drill needs nothing but cut and restore.
    """

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None

    def restore(self) -> None:
        listener = socket.create_server(("127.0.0.1", self.port))
        listener.settimeout(0.1)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    @property
    def open(self) -> bool:
        return self._listener is not None

    def cut(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        with self._lock:
            connections, self._open = self._open, set()
        for connection in connections:
            with suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                server = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            client.settimeout(None)
            with self._lock:
                self._open |= {client, server}
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for end in (source, sink):
            with suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)


@dataclass
class HttpClient:
    """Posts to the gunicorn on ``port`` as Twilio does, answering werkzeug responses, so the
    test client's users (:class:`tests.voice.conftest.Caller`) drive the real server.

    Every answer is recorded in ``statuses`` (path, HTTP status, :data:`NO_ANSWER` when none
    came within Twilio's timeout)."""

    port: int
    timeout: float = TWILIO_TIMEOUT
    statuses: list[tuple[str, int]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # why a request got no answer

    last: int | None = None  # the status of this client's last request

    def sharing(self) -> HttpClient:
        """A client of one thread (its own ``last``) that records in the same lists."""
        return HttpClient(self.port, self.timeout, self.statuses, self.failures)

    def post(self, path: str, data: dict[str, str], headers: dict[str, str]) -> Response:
        body = urlencode(data)
        headers = {"Content-Type": "application/x-www-form-urlencoded", **headers}
        return self._request("POST", path, body, headers)

    def get(self, path: str) -> Response:
        return self._request("GET", path, None, {})

    def _request(
        self, method: str, path: str, body: str | None, headers: dict[str, str]
    ) -> Response:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body, headers)
            answer = connection.getresponse()
            response = Response(answer.read(), answer.status, list(answer.getheaders()))
        except (OSError, http.client.HTTPException) as error:
            self.failures.append(f"{method} {path}: {error!r}")
            response = Response(b"", NO_ANSWER)
        finally:
            connection.close()
        self.statuses.append((path.split("?")[0], response.status_code))
        self.last = response.status_code
        return response


@dataclass
class Stack:
    """The running stack: the test's own app (to read the database directly, not through the
    proxy), the processes, and what to break."""

    setup: WorkerSetup
    twilio: FakeTwilioApi
    redis: RedisServer
    database: TcpProxy
    http: HttpClient
    logs: Path
    worker: subprocess.Popen[bytes] | None = None
    cron: subprocess.Popen[bytes] | None = None

    @property
    def app(self) -> Flask:
        return self.setup.app

    def start(self, name: str) -> subprocess.Popen[bytes]:
        """The Procfile's ``worker`` or ``clock`` (``guichet …``), its output appended to its
        log."""
        _guichet, *args = procfile(name)
        with (self.logs / f"{name}.log").open("ab") as output:
            return self.setup.start(*args, output=output)

    def mend(self) -> None:
        """Start again whatever a scenario left down: Redis, the database, worker, cron;
        and Twilio's pace back to the usual."""
        self.twilio.latency = TWILIO_LATENCY
        if self.redis.process is None:
            self.redis.start()
        if not self.database.open:
            self.database.restore()
        if self.worker is None or self.worker.poll() is not None:
            self.worker = self.start("worker")
        if self.cron is None or self.cron.poll() is not None:
            self.cron = self.start("clock")

    def exited(self, name: str, process: subprocess.Popen[bytes] | None) -> str | None:
        """Why ``process`` (the Procfile's ``name``) is not running, None if it is."""
        if process is not None and process.poll() is None:
            return None
        code = process.returncode if process is not None else None
        return f"{name} exited ({code}): {self.log(name, lines=1)}"

    def kill_worker(self) -> None:
        """SIGKILL the worker and its work horse, as when the machine under it dies."""
        assert self.worker is not None
        kill(self.worker)

    def log(self, name: str, lines: int = 30) -> str:
        """The end of a process's log, for failure messages."""
        path = self.logs / f"{name}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def server_errors(self) -> str:
        """The errors gunicorn logged, one line each."""
        text = (self.logs / "gunicorn.log").read_text(errors="replace")
        errors = [line for line in text.splitlines() if "Error" in line or "Exception" in line]
        return "\n".join(errors[-15:]) or "(none logged)"


def warm_up(client: HttpClient) -> None:
    """A few messages at once, so both gunicorn workers have imported the app and read the
    directory before the drill starts counting."""

    def text(n: int) -> int:
        form = twilio_form(f"+3361999{n:04d}", "ou manger ce soir")
        headers = {"X-Twilio-Signature": sign(PUBLIC_BASE_URL + "/sms", form)}
        return client.post("/sms", form, headers).status_code

    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(text, range(8)))
    assert statuses == [200] * 8, f"warm-up answered {statuses}: {client.failures}"


@pytest.fixture(scope="module")
def drill_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The demo city in a PostgreSQL schema of the drill's own (its writes are committed)."""
    url = fresh_database_url("postgresql", "drill", tmp_path_factory.mktemp("drill"))
    app = create_app(settings_for(url))
    with app.app_context():
        import_hsds_path(DEMO_SERVICES)
    db_engine_dispose(app)
    return url


def settle(condition: Callable[[], bool], timeout: float) -> bool:
    """Wait until ``condition()`` holds, at most ``timeout`` seconds; say whether it did."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.25)
    return True


@pytest.fixture(scope="module")
def running_stack(
    drill_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """The whole stack, started once for the drill; stopped at the end even on failure."""
    tmp_path = tmp_path_factory.mktemp("stack")
    target = make_url(drill_database_url)
    with ExitStack() as running:
        twilio = running.enter_context(
            FakeTwilioApi(ACCOUNT_SID, AUTH_TOKEN, latency=TWILIO_LATENCY)
        )
        redis = RedisServer(tmp_path / "redis.log")
        redis.start()
        running.callback(redis.kill)
        proxy = TcpProxy((target.host or "127.0.0.1", target.port or 5432))
        proxy.restore()
        running.callback(proxy.cut)
        proxied = target.set(host="127.0.0.1", port=proxy.port)
        extra: dict[str, Any] = {
            **sms_settings(),
            "TWILIO_API_BASE_URL": twilio.url,
            "REDIS_URL": redis.url,
            **DRILL_SETTINGS,
        }
        app = create_app(settings_for(drill_database_url, **extra))
        running.callback(db_engine_dispose, app)
        running.enter_context(app.app_context())
        settings = settings_for(proxied.render_as_string(hide_password=False), **extra)
        setup = WorkerSetup(app, settings)
        port = free_port()
        web = procfile("web", PORT=str(port))
        running.enter_context(serve(web, port, setup.env, REPO_ROOT, tmp_path / "gunicorn.log"))
        warm_up(HttpClient(port, timeout=WARM_UP_TIMEOUT))
        drill = Stack(setup, twilio, redis, proxy, HttpClient(port), tmp_path)
        drill.worker = drill.start("worker")
        drill.cron = drill.start("clock")
        running.callback(lambda: drill.cron and stop(drill.cron))
        running.callback(lambda: drill.worker and stop(drill.worker))
        yield drill


@pytest.fixture
def stack(running_stack: Stack) -> Stack:
    """The stack, whole again after what the scenario before broke; webhooks counted afresh."""
    running_stack.mend()
    running_stack.http = HttpClient(running_stack.http.port)
    return running_stack
