"""Real server processes for the drill and the benches: a free port, gunicorn, a clean stop.

Each process runs in a session of its own, so that stopping it reaches the children it forked
(gunicorn's workers, RQ's work horses) and nothing else.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager as ContextManager
from contextlib import contextmanager, suppress
from pathlib import Path

GUNICORN = Path(sys.executable).parent / "gunicorn"
REPO_ROOT = Path(__file__).resolve().parent.parent


def procfile(process: str, **variables: str) -> list[str]:
    """The Procfile's command for ``process``, its ``${NAME:-default}`` filled from
    ``variables``, listening on loopback only, run from this checkout's virtualenv."""
    for line in (REPO_ROOT / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        if name.strip() == process:
            filled = re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: variables.get(m[1], m[2]), command)
            program, *args = shlex.split(filled)
            local = [arg.replace("0.0.0.0:", "127.0.0.1:") for arg in args]
            return [str(Path(sys.executable).parent / program), *local]
    raise LookupError(f"no {process!r} process in the Procfile")


def free_port() -> int:
    """A loopback port nobody listens on now (the kernel's pick)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_listening(
    process: subprocess.Popen[bytes], port: int, log: Path, timeout: float = 30
) -> None:
    """Return once ``port`` accepts connections; raise with ``log`` if ``process`` exits or
    never listens."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited:\n{log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{process.args} did not listen on {port}:\n{log.read_text()}")


def stop(process: subprocess.Popen[bytes], grace: float = 10) -> None:
    """SIGTERM to ``process``'s group, as a deployment stops it; after ``grace``, or once the
    leader is gone, SIGKILL to whatever of its session is left."""
    if process.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            kill(process)
    kill(process)  # what the leader left behind, e.g. a work horse


def kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL ``process`` and every process of its session, as a machine that dies would.

    Its session, not its process group: RQ's work horse leaves the worker's group
    (``os.setpgrp``) but not its session. The leader goes first, so it reports nothing.
    """
    members = session_members(process.pid)
    if process.poll() is None:  # once reaped, its pid may be someone else's
        process.kill()
    for pid in members:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.wait()


def session_members(session: int) -> list[int]:
    """The processes of ``session`` but its leader, from /proc."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(stat.parent.name)
        if int(fields[3]) == session and pid != session:
            members.append(pid)
    return members


@contextmanager
def serve(
    argv: Sequence[str | Path], port: int, env: dict[str, str], cwd: Path, log: Path
) -> Iterator[int]:
    """Run the server ``argv``, which listens on ``port``; yield the port once it listens.

    ``env`` is the whole environment of the server (``PATH`` is added); its output goes to
    ``log``. Stopped on exit, whatever happened.
    """
    with log.open("w") as output:
        process = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env={"PATH": os.environ["PATH"], **env},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_listening(process, port, log)
        yield port
    finally:
        stop(process)


def gunicorn(target: str, env: dict[str, str], cwd: Path, log: Path) -> ContextManager[int]:
    """``target`` served by gunicorn with 2 sync workers on a free loopback port."""
    port = free_port()
    return serve(
        [GUNICORN, "--workers", "2", "--bind", f"127.0.0.1:{port}", target], port, env, cwd, log
    )
