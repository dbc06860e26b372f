"""A phone that writes to the city's WhatsApp number as Twilio would post it.

The SMS tests' resident (:class:`tests.sms.conftest.Texter`), posting Twilio's WhatsApp form
(:func:`tests.fakes.twilio_webhooks.inbound_whatsapp_form`) to ``/whatsapp``: same account,
same signature, same clock.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

# With the SMS tests' fixtures (the demo city on a signing account, its clock, an SMS
# resident), imported so that pytest finds them here too.
from tests.conftest import Clock
from tests.fakes.twilio_webhooks import inbound_whatsapp_form
from tests.sms.conftest import (  # noqa: F401, F811
    ACCOUNT_SID,
    CITY_NUMBER,
    Answer,
    Texter,
    new_sid,
    sms_app,
    texter,
)

PROFILE_NAME = "Amina Benali"


def whatsapp_form(number: str, body: str, sid: str | None = None, **extra: str) -> dict[str, str]:
    return inbound_whatsapp_form(
        number,
        body,
        sid or new_sid(),
        to=CITY_NUMBER,
        account_sid=ACCOUNT_SID,
        profile_name=PROFILE_NAME,
        **extra,
    )


class WhatsAppUser(Texter):
    """One resident writing on WhatsApp from ``number``."""

    def post(self, params: dict[str, str], *, path: str = "/whatsapp", **kwargs: Any):  # type: ignore[no-untyped-def,override]
        return super().post(params, path=path, **kwargs)

    def send(self, body: str, *, wait: timedelta = timedelta(minutes=1), **extra: str) -> Answer:
        self.clock.advance(wait)
        return self.deliver(whatsapp_form(self.number, body, **extra))


@pytest.fixture
def whatsapp_user(sms_app: Flask, clock: Clock) -> Callable[..., WhatsAppUser]:  # noqa: F811
    def make(number: str = "+33612345678") -> WhatsAppUser:
        return WhatsAppUser(sms_app.test_client(), clock, number)

    return make
