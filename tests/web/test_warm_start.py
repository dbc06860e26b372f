"""A web worker of the Procfile reads the directory and builds its search index before it
answers a request, never inside one: the first resident to write is not the one who waits
for it, and a load balancer hears "starting" until then."""

from __future__ import annotations

import http.client
import json
import threading
from pathlib import Path

import pytest

from gateway import create_app, serving
from gateway.cli import DEMO_SERVICES, import_hsds_path
from gateway.db import db
from gateway.migrations import upgrade
from tests.conftest import settings_for
from tests.processes import REPO_ROOT, free_port, procfile, serve

BUILDS = ("directory snapshot read", "search index built")


def test_the_first_request_finds_the_directory_read_and_indexed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'city.sqlite3'}"
    upgrade(url)
    app = create_app(settings_for(url))
    with app.app_context():
        import_hsds_path(DEMO_SERVICES)
        db.engine.dispose()
    port = free_port()
    log = tmp_path / "web.log"
    environment = {"DATABASE_URL": url, "SECRET_KEY": "test-secret", "LOG_LEVEL": "INFO"}
    with serve(
        procfile("web", WEB_CONCURRENCY="1", PORT=str(port)), port, environment, REPO_ROOT, log
    ):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection.request("GET", "/search?q=repas")
        assert connection.getresponse().status == 200
        connection.request("GET", "/healthz")
        assert json.loads(connection.getresponse().read())["status"] == "ok"
        connection.close()
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    builds = [line for line in lines if line.get("event") in BUILDS]
    assert {line["event"] for line in builds} == set(BUILDS), log.read_text()
    assert all("path" not in line for line in builds), "built before any request, not in one"


def _warming_app(tmp_path: Path):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'city.sqlite3'}"
    upgrade(url)
    app = create_app(settings_for(url))
    return app, serving.hold_until_warm(app)


def test_a_worker_still_warming_says_starting_and_answers_no_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(serving, "WARM_WAIT_SECONDS", 0.05)
    app, warmed = _warming_app(tmp_path)
    client = app.test_client()

    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json == {"database": "ok", "read_model": "starting", "status": "starting"}
    page = client.get("/?lang=fr")
    assert page.status_code == 503
    assert page.headers["Retry-After"]
    assert "réessayer" in page.get_data(as_text=True)

    warmed.set()
    assert client.get("/healthz").json == {"database": "ok", "status": "ok"}
    assert client.get("/").status_code == 200


def test_a_request_that_comes_while_warming_waits_for_it(tmp_path: Path) -> None:
    app, warmed = _warming_app(tmp_path)
    answers: list[int] = []
    asking = threading.Thread(target=lambda: answers.append(app.test_client().get("/").status_code))
    asking.start()
    asking.join(0.3)
    assert not answers, "answered before the worker was warm"
    warmed.set()
    asking.join(5)
    assert answers == [200]
