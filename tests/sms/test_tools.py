"""``guichet sms`` and the dev phone take the webhook's path, minus HTTP from Twilio."""

from __future__ import annotations

import html
import re

import pytest
from flask import Flask

from gateway import create_app
from gateway.db import db
from gateway.models import MessageKind
from tests.conftest import settings_for, translated, translated_count
from tests.sms.conftest import inbound_messages, replies

pytestmark = pytest.mark.backends("postgresql")

NUMBER = "+33612345678"


def test_guichet_sms_prints_the_answer_its_encoding_and_segments(sms_app: Flask, clock) -> None:
    runner = sms_app.test_cli_runner()
    result = runner.invoke(args=["sms", "ou manger ce soir", "--from", "+33 6 12 34 56 78"])
    assert result.exit_code == 0, result.output
    [*answer, summary] = result.stdout.splitlines()
    [reply] = replies()
    assert "\n".join(answer) == reply.body
    assert summary == f"-- GSM-7, {reply.segments} segment(s), answered"
    [message] = inbound_messages()
    assert (message.body, message.kind) == ("ou manger ce soir", MessageKind.MESSAGE)
    assert len(message.provider_sid) == 34

    result = runner.invoke(args=["sms", "де поїсти", "--from", "+380671234567"])
    assert result.stdout.splitlines()[-1].startswith("-- UCS-2, 3 segment(s)")


def test_guichet_sms_says_when_nothing_is_answered(sms_app: Flask, clock, change_settings) -> None:
    change_settings(sms_app, sms_rate_limit_per_hour=1)
    runner = sms_app.test_cli_runner()
    for _ in range(2):
        runner.invoke(args=["sms", "AIDE"])
    result = runner.invoke(args=["sms", "AIDE"])
    assert result.exit_code == 0 and result.stdout == "(no answer: silenced)\n"


def test_guichet_sms_refuses_a_number_that_is_not_international(sms_app: Flask) -> None:
    result = sms_app.test_cli_runner().invoke(args=["sms", "AIDE", "--from", "0612345678"])
    assert result.exit_code == 2 and "--from" in result.output
    assert inbound_messages() == []


def _token(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def test_the_dev_phone_answers_as_a_text_would_be(sms_app: Flask, clock) -> None:
    phone = sms_app.test_client()
    page = phone.get("/dev/phone").get_data(as_text=True)
    form = {"csrf_token": _token(page), "number": NUMBER, "text": "ou manger ce soir"}
    response = phone.post("/dev/phone", data=form)
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    [reply] = replies()
    assert f'<pre id="answer">{reply.body}</pre>' in page
    segments = translated_count("%(num)s segment", "%(num)s segments", reply.segments)
    characters = translated_count("%(num)s character", "%(num)s characters", len(reply.body))
    assert f"GSM-7 · {segments} · {characters}" in page
    assert "ou manger ce soir" in page, "the number's thread is shown"
    assert inbound_messages()[0].provider_sid.startswith("DV")


def test_the_dev_phone_wants_its_form_token(sms_app: Flask) -> None:
    response = sms_app.test_client().post("/dev/phone", data={"number": NUMBER, "text": "AIDE"})
    assert response.status_code == 400
    assert inbound_messages() == []


def test_the_dev_phone_refuses_a_national_number(sms_app: Flask) -> None:
    phone = sms_app.test_client()
    token = _token(phone.get("/dev/phone").get_data(as_text=True))
    response = phone.post("/dev/phone", data={"csrf_token": token, "number": "06", "text": "x"})
    error = translated("Type an international number, such as %(example)s.", example="+33612345678")
    assert error in html.unescape(response.get_data(as_text=True))
    assert inbound_messages() == []


@pytest.mark.parametrize(("enabled", "status"), [(False, 404), (True, 200)])
def test_the_dev_phone_is_off_in_production_unless_asked_for(
    empty_database_url: str, enabled: bool, status: int
) -> None:
    settings = settings_for(empty_database_url, TESTING=False, DEBUG=False)
    app = create_app({**settings, "DEV_PHONE_PAGE": enabled})
    assert app.test_client().get("/dev/phone").status_code == status
    with app.app_context():
        db.engine.dispose()
