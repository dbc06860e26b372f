"""The built wheel is the whole of Guichet: installed in a fresh virtualenv, away from the
checkout, it serves the demo city in French with search working.

The wheel is built without build isolation (the dev extra brings the build's requirements), and
the fresh venv borrows the dependencies of this one through ``PYTHONPATH``: a path entry there
holds the libraries, but not this checkout's editable ``gateway`` (an editable install is found
through a ``.pth`` file, which Python reads only in site directories). So every byte of
``gateway`` and ``channels`` the server runs, with its catalogs and content, comes from the
wheel.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built from a copy of the files git tracks: what a release would build, and
    no ``build/`` or compiled catalogs left in the checkout."""
    source = tmp_path_factory.mktemp("source")
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO_ROOT, check=True, capture_output=True, text=True
    ).stdout.split("\0")
    for name in filter(None, tracked):
        if (REPO_ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO_ROOT / name, source / name)
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", out, source],
        check=True, capture_output=True,
    )  # fmt: skip
    (built,) = out.glob("guichet-*.whl")
    return built


def test_the_wheel_carries_compiled_catalogs_and_the_demo_content(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for locale in ("fr", "en", "ar", "es", "pt", "uk"):
        assert f"gateway/translations/{locale}/LC_MESSAGES/messages.mo" in names
        assert f"gateway/content/vocabulary/{locale}.txt" in names
    assert "gateway/content/demo/services.json" in names
    assert "channels/web/static/lite.css" in names
    assert not any(name.startswith(("tests/", "bench/")) for name in names)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def installed_server(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo city served by the wheel installed in a fresh venv; yields its base URL."""
    home = tmp_path_factory.mktemp("fresh")
    venv.create(home / "venv", with_pip=False)
    python = home / "venv" / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", site, wheel],
        check=True, capture_output=True,
    )  # fmt: skip
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": sysconfig.get_path("purelib"),
        "DATABASE_URL": f"sqlite:///{home / 'guichet.sqlite3'}",
        "DEBUG": "1",
    }
    where = subprocess.run(
        [python, "-c", "import gateway; print(gateway.__file__)"],
        check=True, capture_output=True, text=True, env=env, cwd=home,
    ).stdout  # fmt: skip
    assert where.startswith(site), where  # the wheel's code, not the checkout's
    subprocess.run(
        [python, "-m", "flask", "--app", "gateway:create_app", "demo"],
        check=True, capture_output=True, env=env, cwd=home,
    )  # fmt: skip
    port = _free_port()
    log = home / "gunicorn.log"
    with log.open("wb") as log_file:
        server = subprocess.Popen(
            [python, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "gateway:create_app()"],
            env=env, cwd=home, stdout=subprocess.DEVNULL, stderr=log_file,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2)
                break
            except OSError as refused:
                if server.poll() is not None:
                    raise AssertionError(log.read_text()) from refused
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


def _get(url: str) -> str:
    request = urllib.request.Request(url, headers={"Accept-Language": "fr"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read().decode()


def test_the_installed_wheel_serves_the_demo_in_french(installed_server: str) -> None:
    page = _get(installed_server + "/")
    assert 'lang="fr"' in page
    assert "Alimentation" in page


def test_search_works_from_the_installed_wheel(installed_server: str) -> None:
    page = _get(installed_server + "/search?q=ou+manger+ce+soir")
    assert "Aucun lieu trouvé" not in page
    assert page.count('href="/service/') >= 3
