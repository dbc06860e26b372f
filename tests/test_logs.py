"""Logs that help and never betray: one JSON line per event, no number and no body in any."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from gateway.db import db
from gateway.directory.queries import directory_snapshot
from gateway.search.api import current_index
from tests.conftest import _rolled_back_app
from tests.fakes.twilio_webhooks import inbound_sms_form
from tests.sms.conftest import (
    ACCOUNT_SID,
    CITY_NUMBER,
    PUBLIC_BASE_URL,
    new_sid,
    sign,
    sms_settings,
)

NUMBER = "+33698765432"
FORMS = ("+33698765432", "33698765432", "0698765432", "698765432", "98765432")
BODY = "AVIS 2 fermé, ma fille Zéphyrine attend dehors"


@pytest.fixture
def sms_app(demo_database_url: str) -> Iterator[Flask]:
    yield from _rolled_back_app(demo_database_url, **sms_settings())


def lines(err: str, logger: str | None = None) -> list[dict[str, Any]]:
    """The JSON lines written on stderr (by ``logger`` only, if given)."""
    found = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    return [line for line in found if logger is None or line["logger"] == logger]


def everything_in(record: logging.LogRecord) -> str:
    """All a record carries: message, extra fields, traceback."""
    extras = [str(value) for value in vars(record).values()]
    return " ".join([record.getMessage(), *extras, record.exc_text or ""])


def without_number_or_words(records: list[logging.LogRecord]) -> list[logging.LogRecord]:
    """``records``, once checked to carry no form of the resident's number and none of her
    words in their message, fields or traceback."""
    for record in records:
        logged = everything_in(record)
        assert not [form for form in FORMS if form in logged], logged
        assert "Zéphyrine" not in logged, logged
    return records


def post_sms(app: Flask, body: str, signature: str | None = None) -> int:
    form = inbound_sms_form(NUMBER, body, new_sid(), to=CITY_NUMBER, account_sid=ACCOUNT_SID)
    signature = sign(PUBLIC_BASE_URL + "/sms", form) if signature is None else signature
    response = app.test_client().post("/sms", data=form, headers={"X-Twilio-Signature": signature})
    return response.status_code


def test_a_resident_s_message_leaves_neither_number_nor_body_in_any_record(
    sms_app: Flask, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    assert post_sms(sms_app, "ou manger ce soir") == 200
    assert post_sms(sms_app, BODY) == 200
    assert caplog.records, "the first search builds the index, and says so"
    for record in caplog.records:
        logged = everything_in(record)
        assert not [form for form in FORMS if form in logged], logged
        assert "Zéphyrine" not in logged and "manger" not in logged, logged
    err = capsys.readouterr().err
    assert not [form for form in FORMS if form in err] and "Zéphyrine" not in err


def test_a_refused_signature_logs_one_line(
    sms_app: Flask, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert post_sms(sms_app, BODY, signature="forged") == 403
    [line] = lines(capsys.readouterr().err, "channels.twilio_auth")
    assert (line["level"], line["event"]) == ("WARNING", "twilio signature refused")
    assert (line["method"], line["path"], line["status"]) == ("POST", "/sms", 403)


def test_a_refused_signature_is_one_record_without_the_number(
    sms_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    assert post_sms(sms_app, BODY, signature="forged") == 403
    [record] = without_number_or_words([r for r in caplog.records if r.levelno >= logging.WARNING])
    assert record.name == "channels.twilio_auth"
    assert record.getMessage() == "twilio signature refused"


def test_a_failing_webhook_is_one_error_line_without_the_resident_s_data(
    demo_database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def broken(*_args: object) -> None:
        raise RuntimeError("the engine broke")

    monkeypatch.setattr("gateway.messaging.inbound.handle", broken)
    for app in _rolled_back_app(demo_database_url, PROPAGATE_EXCEPTIONS=False, **sms_settings()):
        capsys.readouterr()
        assert post_sms(app, BODY) == 500
        [record] = without_number_or_words(
            [r for r in caplog.records if r.levelno >= logging.WARNING]
        )
        assert record.getMessage() == "Exception on /sms [POST]"
        assert "RuntimeError: the engine broke" in (record.exc_text or "")
        [line] = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
        assert json.loads(line)["event"] == "Exception on /sms [POST]"


def test_an_import_is_one_line_with_its_counts(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    from gateway.cli import DEMO_SERVICES
    from gateway.directory.hsds import import_services, read_hsds_file

    records = read_hsds_file(DEMO_SERVICES)
    caplog.set_level(logging.INFO, logger="gateway.directory.hsds")
    report = import_services(db.session, records, source="demo.json")
    [record] = without_number_or_words(
        [r for r in caplog.records if r.name == "gateway.directory.hsds"]
    )
    assert record.getMessage() == (
        f"import demo.json: {report.created} created, 0 updated, 0 unchanged, 0 rejected, "
        f"{len(report.warnings)} warnings"
    )
    assert report.created == len(records) > 0


def test_a_rebuild_logs_one_line_with_its_size_and_duration(
    demo_app: Flask, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    snapshot = directory_snapshot(db.session)
    current_index(db.session, snapshot)
    current_index(db.session), directory_snapshot(db.session)  # unchanged: nothing rebuilt
    err = capsys.readouterr().err
    [read] = lines(err, "gateway.directory.queries")
    [built] = lines(err, "gateway.search.api")
    assert (read["event"], built["event"]) == ("directory snapshot read", "search index built")
    for line in (read, built):
        assert line["services"] == len(snapshot.services) > 0
        assert line["version"] == snapshot.version and line["seconds"] >= 0


def test_the_mask_catches_a_number_that_code_should_not_have_logged(
    plain_app: Flask, capsys: pytest.CaptureFixture[str]
) -> None:
    log = logging.getLogger("tests.careless")
    capsys.readouterr()
    log.warning("no answer for %s", "+33 6 98 76 54 32", extra={"caller": "0698765432"})
    try:
        raise ValueError("not an international phone number: '06 98 76 54 32'")
    except ValueError:
        log.exception("import failed")
    log.error(
        'duplicate key value violates unique constraint "uq_x"\n'
        "DETAIL:  Failing row contains (7, inbound, ou manger ce soir, +33698765432)."
    )
    written = lines(capsys.readouterr().err, "tests.careless")
    assert [line["event"] for line in written] == [
        "no answer for [☎]",
        "import failed",
        'duplicate key value violates unique constraint "uq_x"\nDETAIL: [hidden]',
    ]
    assert written[0]["caller"] == "[☎]"
    assert "ValueError: not an international phone number: '[☎]'" in written[1]["exc"]
    everything = json.dumps(written, ensure_ascii=False)
    assert not [form for form in FORMS if form in everything] and "manger" not in everything


def test_a_webhook_error_is_one_line_without_the_resident_s_data(
    demo_database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for app in _rolled_back_app(demo_database_url, PROPAGATE_EXCEPTIONS=False):

        @app.post("/boom")
        def boom() -> str:
            raise RuntimeError("could not answer +33698765432")

        capsys.readouterr()
        assert app.test_client().post("/boom", data={"Body": BODY}).status_code == 500
        [line] = [line for line in lines(capsys.readouterr().err) if line["level"] == "ERROR"]
        assert (line["method"], line["path"]) == ("POST", "/boom")
        assert "RuntimeError: could not answer [☎]" in line["exc"]
        assert "Zéphyrine" not in json.dumps(line, ensure_ascii=False)


def test_the_factory_installs_one_handler_however_many_apps_it_builds(
    plain_app: Flask, tmp_path: Any
) -> None:
    from gateway import create_app
    from gateway.logs import JsonLines
    from tests.conftest import settings_for

    create_app(settings_for(f"sqlite:///{tmp_path / 'again.sqlite3'}"))
    ours = [h for h in logging.getLogger().handlers if isinstance(h.formatter, JsonLines)]
    assert len(ours) == 1
