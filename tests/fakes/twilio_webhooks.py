"""What Twilio posts to a number's messaging webhook, field for field.

One table for the SMS tests and ``bench/sms_webhook.py``, so both drive the webhook with the
same real-shaped requests.
"""

from __future__ import annotations


def inbound_sms_form(
    sender: str, body: str, sid: str, *, to: str, account_sid: str, **extra: str
) -> dict[str, str]:
    """The fields of an inbound SMS from ``sender`` to the city's number ``to``."""
    return {
        "ToCountry": "FR",
        "ToState": "",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ToCity": "",
        "FromZip": "",
        "SmsSid": sid,
        "FromState": "",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": body,
        "FromCountry": "FR",
        "To": to,
        "ToZip": "",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": account_sid,
        "From": sender,
        "ApiVersion": "2010-04-01",
        **extra,
    }
