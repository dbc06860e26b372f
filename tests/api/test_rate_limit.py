"""The HSDS API is limited per client address; residents' webhooks and pages never are."""

from __future__ import annotations

import contextlib

import pytest

from tests.conftest import _rolled_back_app
from tests.sms.conftest import PUBLIC_BASE_URL, read_twiml, sign, sms_settings, twilio_form

pytestmark = pytest.mark.backends("sqlite")


def test_an_address_over_its_minute_gets_429_and_residents_are_still_answered(
    demo_database_url: str,
) -> None:
    limited = contextlib.contextmanager(_rolled_back_app)
    with limited(demo_database_url, API_REQUESTS_PER_MINUTE="2", **sms_settings()) as app:
        client = app.test_client()
        assert [client.get("/api/hsds/services").status_code for _ in range(2)] == [200, 200]
        refused = client.get("/api/hsds/taxonomies")
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) > 0
        other = app.test_client()
        other.environ_base["REMOTE_ADDR"] = "192.0.2.7"
        assert other.get("/api/hsds/services").status_code == 200

        for _ in range(3):  # the same address, over the API's limit: the SMS is answered
            form = twilio_form("+33612345678", "manger")
            answer = client.post(
                "/sms",
                data=form,
                headers={"X-Twilio-Signature": sign(PUBLIC_BASE_URL + "/sms", form)},
            )
            assert answer.status_code == 200
            assert read_twiml(answer.get_data()).text
        assert client.get("/").status_code == 200
