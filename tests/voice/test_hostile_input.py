"""``/voice`` and ``/voice/status`` refuse what Twilio never sends with a 400, never a 500.

Each request is signed, as if the auth token had leaked: the signature is no defence against
a malformed field.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gateway.db import db
from gateway.models import Call
from tests.voice.conftest import Caller

pytestmark = pytest.mark.backends("postgresql")

# What a CallSid is not (Twilio's are "CA" and 32 hexadecimal digits).
BAD_CALL_SIDS = [
    pytest.param("CA" + "0" * 63, id="65-characters"),
    pytest.param("CA" + "0" * 31 + "\x00", id="nul"),
    pytest.param("CA" + "0" * 31, id="33-characters"),
    pytest.param("CA" + "z" * 32, id="not-hex"),
    pytest.param("", id="empty"),
]


def _calls(sid: str) -> list[Call]:
    return list(db.session.scalars(select(Call).where(Call.call_sid == sid)))


def _count() -> int:
    return len(db.session.scalars(select(Call.id)).all())


@pytest.mark.parametrize("path", ["/voice", "/voice/status"])
@pytest.mark.parametrize("sid", BAD_CALL_SIDS)
def test_a_malformed_call_sid_is_a_bad_request(call, path: str, sid: str) -> None:
    caller: Caller = call()
    caller.call_sid = sid
    before = _count()
    response = caller.post(path, caller.form(CallStatus="completed", CallDuration="3"))
    assert response.status_code == 400
    assert _count() == before


@pytest.mark.parametrize("digits", ["²", "١", "1\x00", "12345678901234567890123456789012345"])
def test_keys_no_keypad_has_are_a_bad_request(call, digits: str) -> None:
    caller: Caller = call()
    caller.dial()
    gather = caller.last.gather
    assert gather is not None
    response = caller.post(gather.get("action", ""), caller.form(Digits=digits))
    assert response.status_code == 400


def test_the_keypad_s_keys_still_work(call) -> None:
    caller: Caller = call(None)
    caller.dial()
    assert caller.press("1").gather is not None
    assert caller.press("#").gather is not None


@pytest.mark.parametrize("silence", ["²", "①"])
def test_a_silence_count_that_is_not_ours_is_a_bad_request(call, silence: str) -> None:
    caller: Caller = call()
    assert caller.post(f"/voice?lang=fr&silence={silence}", caller.form()).status_code == 400


@pytest.mark.parametrize("duration", ["①", "²", "99999999999", "-5"])
def test_a_malformed_call_duration_is_a_bad_request(call, duration: str) -> None:
    caller: Caller = call()
    response = caller.post(
        "/voice/status", caller.form(CallStatus="completed", CallDuration=duration)
    )
    assert response.status_code == 400
    assert _calls(caller.call_sid) == []


def test_a_status_without_duration_is_kept(call) -> None:
    caller: Caller = call()
    assert caller.post("/voice/status", caller.form(CallStatus="ringing")).status_code == 204
    [record] = _calls(caller.call_sid)
    assert record.duration_seconds is None
