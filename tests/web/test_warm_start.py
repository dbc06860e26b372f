"""A web worker of the Procfile reads the directory and builds its search index before it
takes a request: the first resident to write is not the one who waits for it."""

from __future__ import annotations

import http.client
import json
from pathlib import Path

from gateway import create_app
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
        connection.close()
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    builds = [line for line in lines if line.get("event") in BUILDS]
    assert {line["event"] for line in builds} == set(BUILDS), log.read_text()
    assert all("path" not in line for line in builds), "built before any request, not in one"
