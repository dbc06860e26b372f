"""The README's command examples, typed as written, and what a missing setting prints.

The example block runs in a shell from the project's directory, as a new user would type it
after ``make run``; only the database is moved to a temporary file so that the checkout's own
``instance/`` is untouched, and ``.venv/bin/`` is the virtualenv running this suite (the same
one under ``make test``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.processes import REPO_ROOT

BIN = Path(sys.executable).parent


def _example_block() -> list[str]:
    readme = (REPO_ROOT / "README.md").read_text()
    [block] = re.findall(r"```\n(export DEBUG=1\n.*?)```", readme, flags=re.S)
    return block.splitlines()


def _shell(script: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-e", "-c", script.replace(".venv/bin/", f"{BIN}/")],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={
            "PATH": os.environ["PATH"],
            "HOME": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'guichet.sqlite3'}",
            "LOG_LEVEL": "WARNING",
            **env,
        },
    )


def test_the_readme_examples_run_as_written(tmp_path: Path) -> None:
    lines = _example_block()
    assert lines[0] == "export DEBUG=1" and all(
        line.startswith(".venv/bin/guichet ") for line in lines[1:]
    )
    done = _shell("\n".join(lines), tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "103 created" in out  # the demo city loaded
    assert "-- GSM-7, " in out and "segment(s), answered" in out  # the SMS answer
    assert re.search(r"\tSecours populaire français[^\t]*\t\d+ services\t0 editors", out)
    assert "worker@example.org: editor account created" in out
    assert "Warning" not in done.stderr


def test_a_command_without_its_settings_says_what_to_set(tmp_path: Path) -> None:
    no_key = _shell(".venv/bin/guichet sms 'ou manger'", tmp_path)
    assert no_key.returncode == 1
    [line] = no_key.stderr.strip().splitlines()
    assert line.startswith("Error: SECRET_KEY is not set.") and "DEBUG=1" in line
    assert "No such command" not in no_key.stderr

    empty = _shell(".venv/bin/guichet sms 'ou manger'", tmp_path, DEBUG="1")
    assert empty.returncode == 1
    assert empty.stderr.strip().splitlines()[-1] == (
        f"Error: the database (sqlite:///{tmp_path / 'guichet.sqlite3'}) is not set up or not "
        "up to date: run `guichet db upgrade` (or `guichet demo` to load the demo city too)"
    )
