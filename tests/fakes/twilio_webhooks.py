"""What Twilio posts to our webhooks (messages, their delivery reports, calls), field for field.

One table for the SMS, WhatsApp and voice tests, the fuzz test and ``bench/sms_webhook.py``, so
all drive the webhooks with the same real-shaped requests.
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


def inbound_whatsapp_form(
    sender: str,
    body: str,
    sid: str,
    *,
    to: str,
    account_sid: str,
    profile_name: str = "Amina B.",
    **extra: str,
) -> dict[str, str]:
    """The fields of an inbound WhatsApp message: an SMS's, with ``whatsapp:`` addresses, the
    sender's WhatsApp name (``ProfileName``) and number without ``+`` (``WaId``)."""
    return inbound_sms_form(
        f"whatsapp:{sender}",
        body,
        sid,
        to=f"whatsapp:{to}",
        account_sid=account_sid,
        ProfileName=profile_name,
        WaId=sender.removeprefix("+"),
        **extra,
    )


def message_status_form(
    sid: str, status: str, *, to: str, sender: str, account_sid: str, **extra: str
) -> dict[str, str]:
    """The fields of a message's StatusCallback: Twilio's report of what became of ``sid``."""
    return {
        "SmsSid": sid,
        "SmsStatus": status,
        "MessageStatus": status,
        "To": to,
        "MessageSid": sid,
        "AccountSid": account_sid,
        "From": sender,
        "ApiVersion": "2010-04-01",
        **extra,
    }


def voice_call_form(
    sid: str, caller: str, *, to: str, account_sid: str, **extra: str
) -> dict[str, str]:
    """The fields of a call's webhook (``/voice``) and of its status callback, from ``caller``
    (``anonymous`` for a hidden number) to the city's number ``to``."""
    return {
        "CallSid": sid,
        "AccountSid": account_sid,
        "From": caller,
        "To": to,
        "CallStatus": "in-progress",
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
        "Caller": caller,
        "Called": to,
        **extra,
    }
