"""Twilio's webhooks refuse a request larger than a Twilio form before reading or hashing it.

An anonymous POST with a made-up ``X-Twilio-Signature`` used to have its whole form parsed and
hashed before the 403: 8 MB of a million fields held a worker 30 s. Now the body is weighed
first (``WEBHOOK_MAX_BYTES``, ``WEBHOOK_MAX_FIELDS``) and a 413 costs nothing.
"""

from __future__ import annotations

import io
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from gateway.config import settings
from gateway.db import db
from gateway.models import Call
from tests.sms.conftest import PUBLIC_BASE_URL, Texter, inbound_messages, sign, twilio_form

pytestmark = pytest.mark.backends("postgresql")

NUMBER = "+33612345678"
WEBHOOKS = ["/sms", "/sms/status", "/whatsapp", "/voice", "/voice/status"]
EIGHT_MB = 8 * 1024 * 1024


class CountingStream(io.BytesIO):
    """A request body of ``size`` bytes of ``a&`` that counts what the server reads of it."""

    def __init__(self, size: int) -> None:
        super().__init__((b"a&" * (size // 2 + 1))[:size])
        self.served = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.served += len(data)
        return data

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        n = super().readinto(buffer)
        self.served += n
        return n

    def readline(self, size: int | None = -1) -> bytes:
        data = super().readline(size)
        self.served += len(data)
        return data


def _nothing_stored() -> None:
    assert inbound_messages() == []
    assert db.session.scalars(select(Call)).all() == []


@pytest.mark.parametrize("path", WEBHOOKS)
def test_a_huge_body_is_refused_unread(texter, path: str) -> None:
    resident: Texter = texter(NUMBER)
    body = CountingStream(EIGHT_MB)
    response = resident.client.post(
        path,
        input_stream=body,
        content_length=EIGHT_MB,
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"},
    )
    assert response.status_code == 413
    assert body.served == 0
    _nothing_stored()


@pytest.mark.parametrize("path", WEBHOOKS)
def test_a_chunked_body_is_cut_at_the_limit(texter, sms_app, path: str) -> None:
    """Without a Content-Length the body is read only as far as the limit allows."""
    resident: Texter = texter(NUMBER)
    body = CountingStream(EIGHT_MB)
    response = resident.client.post(
        path,
        input_stream=body,
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl", "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 413
    assert body.served <= 2 * settings(sms_app).webhook_max_bytes
    _nothing_stored()


@pytest.mark.parametrize("path", WEBHOOKS)
def test_a_signed_form_of_too_many_fields_is_refused(texter, sms_app, path: str) -> None:
    """Small in bytes, many in fields: refused before parsing, signed or not."""
    resident: Texter = texter(NUMBER)
    form = twilio_form(NUMBER, "manger")
    form.update({f"X{n}": "" for n in range(settings(sms_app).webhook_max_fields)})
    assert len(urlencode(form)) < settings(sms_app).webhook_max_bytes
    response = resident.client.post(
        path,
        data=urlencode(form),
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": sign(PUBLIC_BASE_URL + path, form)},
    )
    assert response.status_code == 413
    _nothing_stored()


def test_a_twilio_form_with_media_and_a_long_message_still_passes(texter) -> None:
    """The largest forms Twilio posts: ten pictures' fields and 1600 characters of emoji."""
    resident: Texter = texter(NUMBER)
    media = {}
    for n in range(10):
        media[f"MediaUrl{n}"] = f"https://api.twilio.com/2010-04-01/Accounts/AC/Media/ME{n:032x}"
        media[f"MediaContentType{n}"] = "image/jpeg"
    answer = resident.send("🙏" * 1600, NumMedia="10", **media)
    assert answer.text is not None
    assert len(inbound_messages()) == 1
