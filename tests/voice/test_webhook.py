"""The webhooks only answer Twilio; call statuses are kept without the caller; prompts cache."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from gateway.config import PROMPTS_DIR
from gateway.db import db
from gateway.models import Call, CallStatus
from tests.voice.conftest import PUBLIC_BASE_URL, Caller, sign

pytestmark = pytest.mark.backends("postgresql")


@pytest.mark.parametrize(
    "signature",
    [
        pytest.param("", id="absent"),
        pytest.param("bm90IGEgc2lnbmF0dXJl", id="wrong"),
        pytest.param(
            sign(PUBLIC_BASE_URL + "/voice", {}, token="another-account-token"), id="other-token"
        ),
    ],
)
@pytest.mark.parametrize("path", ["/voice", "/voice/status"])
def test_unsigned_requests_are_refused(call, signature: str, path: str) -> None:
    caller: Caller = call()
    response = caller.post(path, caller.form(CallStatus="completed"), signature=signature)
    assert response.status_code == 403
    assert db.session.scalars(select(Call).where(Call.call_sid == caller.call_sid)).first() is None


def test_state_in_the_url_cannot_be_forged(call) -> None:
    """A hidden caller's keys travel in the URL; Twilio signed the URL we gave it, not this."""
    caller: Caller = call(None)
    caller.dial()
    action = caller.last.gather.get("action", "")
    forged = action.replace("2~language:en", "2~language:ar")
    assert forged != action
    url = PUBLIC_BASE_URL + action  # signed as ours, posted to the forged one
    response = caller.client.post(
        forged,
        data=caller.form(Digits="2"),
        headers={"X-Twilio-Signature": sign(url, caller.form(Digits="2"))},
    )
    assert response.status_code == 403


def test_every_turn_and_the_status_callback_make_one_anonymous_record(call) -> None:
    caller: Caller = call()
    caller.dial()
    caller.press("1")
    status = caller.form(CallStatus="completed", CallDuration="42")
    assert caller.post("/voice/status", status).status_code == 204
    record = db.session.scalars(select(Call).where(Call.call_sid == caller.call_sid)).one()
    assert (record.status, record.duration_seconds, record.locale) == (
        CallStatus.COMPLETED,
        42,
        "fr",
    )
    assert record.ended_at is not None and not record.transferred
    columns = {column.name: getattr(record, column.name) for column in Call.__table__.columns}
    digits = caller.number.lstrip("+")
    assert not any(digits in str(value) for value in columns.values()), columns


def test_a_late_callback_does_not_undo_the_end(call) -> None:
    caller: Caller = call()
    for status in ("completed", "ringing"):
        caller.post("/voice/status", caller.form(CallStatus=status, CallDuration="7"))
    record = db.session.scalars(select(Call).where(Call.call_sid == caller.call_sid)).one()
    assert record.status is CallStatus.COMPLETED


def test_an_unknown_status_is_refused(call) -> None:
    caller: Caller = call()
    assert caller.post("/voice/status", caller.form(CallStatus="exploded")).status_code == 400


@pytest.fixture
def recordings(voice_app: Flask, tmp_path: Path, change_settings) -> Path:
    """A folder of recorded prompts, used instead of content/voice for this test."""
    change_settings(voice_app, voice_prompts_dir=tmp_path)
    return tmp_path


def _record(folder: Path, locale: str, name: str) -> None:
    (folder / locale).mkdir(exist_ok=True)
    (folder / locale / name).write_bytes(b"ID3 a recording")


def test_a_recorded_prompt_is_played_instead_of_spoken(call, recordings: Path) -> None:
    _record(recordings, "fr", "welcome.mp3")
    _record(recordings, "ar", "language-3.wav")
    _record(recordings, "ar", "language-4.wav")  # Arabic is key 3: this one is not found
    caller: Caller = call()
    answer = caller.dial()
    plays = [play.text for play in answer.root.iter("Play")]
    assert plays == [
        f"{PUBLIC_BASE_URL}/voice/prompts/fr/welcome.mp3",
        f"{PUBLIC_BASE_URL}/voice/prompts/ar/language-3.wav",
    ]
    said = answer.text()
    assert "Welcome" not in said and "العربية" not in said and "English" in said

    with caller.client.get("/voice/prompts/fr/welcome.mp3") as response:
        assert response.status_code == 200
        assert response.get_data() == b"ID3 a recording"
        assert response.mimetype == "audio/mpeg"
        assert response.cache_control.public and response.cache_control.max_age == 24 * 3600
        assert response.headers["ETag"]


@pytest.mark.parametrize(
    "path",
    [
        "/voice/prompts/fr/missing.mp3",
        "/voice/prompts/xx/welcome.mp3",  # not a locale of ours
        "/voice/prompts/fr/welcome.txt",
        "/voice/prompts/fr/..%2Fsecret.mp3",
    ],
)
def test_only_recordings_are_served(call, recordings: Path, path: str) -> None:
    _record(recordings, "fr", "welcome.mp3")
    (recordings / "secret.mp3").write_bytes(b"not a prompt")
    assert call().client.get(path).status_code == 404


README = PROMPTS_DIR / "README.md"


def test_the_readme_names_every_recording_of_the_main_menu(call, recordings: Path) -> None:
    """Record every id the README lists, in English: the main menu is then all recordings."""
    ids = set(re.findall(r"^\| `([a-z0-9-]+)`", README.read_text("utf-8"), re.MULTILINE))
    ids |= set(re.findall(r"`(category-[a-z]+-\d)`", README.read_text("utf-8")))
    assert len(ids) > 30
    for prompt in ids:
        _record(recordings, "en", f"{prompt}.mp3")
    caller: Caller = call()
    caller.dial()
    for key in ("2", "9"):  # English, then the second page
        menu = caller.press(key)
        assert menu.says() == [], menu.text()
        assert len(list(menu.root.iter("Play"))) > 10
