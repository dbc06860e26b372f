"""``/sms`` refuses what Twilio never sends with a 400, never a 500.

Each request is signed, as if the auth token had leaked or Twilio changed a field's shape:
the signature is no defence against a malformed field.
"""

from __future__ import annotations

import pytest

from tests.sms.conftest import Texter, inbound_messages, twilio_form

pytestmark = pytest.mark.backends("postgresql")

NUMBER = "+33612345678"
# What a MessageSid is not (Twilio's are two letters and 32 hexadecimal digits).
BAD_SIDS = [
    pytest.param("SM" + "0" * 63, id="65-characters"),
    pytest.param("SM" + "0" * 31 + "\x00", id="nul"),
    pytest.param("SM" + "0" * 31, id="33-characters"),
    pytest.param("SM" + "g" * 32, id="not-hex"),
    pytest.param("S1" + "0" * 32, id="digit-prefix"),
]


@pytest.mark.parametrize("sid", BAD_SIDS)
def test_a_message_with_a_malformed_sid_is_a_bad_request(texter, sid: str) -> None:
    resident: Texter = texter(NUMBER)
    response = resident.post(twilio_form(NUMBER, "manger", sid=sid))
    assert response.status_code == 400
    assert inbound_messages() == []


def test_a_twilio_sid_is_still_read(texter) -> None:
    resident: Texter = texter(NUMBER)
    sid = "SM" + "0123456789abcdef" * 2
    assert resident.send("AIDE", sid=sid).text is not None
    assert [message.provider_sid for message in inbound_messages()] == [sid]
