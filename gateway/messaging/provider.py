"""Who carries an outbound SMS: Twilio's REST API, or the outbox that stands in for it.

This is the one module that calls Twilio's REST API. It turns the twilio library's answers into
:class:`Sent` or a :class:`SendError` that says whether trying again may help, so the job that
calls it knows nothing of HTTP or Twilio. :meth:`Provider.find_sent` says what the provider
already holds, so that a send whose answer was lost (a worker killed mid-send) is recorded
rather than repeated. Without Twilio credentials messages go to the outbox: stored, marked sent,
never leaving the machine (``guichet outbox`` shows them).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from flask import current_app
from redis.exceptions import RedisError
from requests import ConnectTimeout, RequestException
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from urllib3.exceptions import NewConnectionError

from gateway.config import ConfigError, Settings, settings
from gateway.jobs import connect_redis
from gateway.messaging.throttle import LocalThrottle, RedisThrottle, Throttle

# Twilio refusals that no retry changes: invalid number, unsubscribed recipient, not a mobile.
INVALID_NUMBER, UNSUBSCRIBED, NOT_MOBILE = 21211, 21610, 21614
PERMANENT_REFUSALS = frozenset({INVALID_NUMBER, UNSUBSCRIBED, NOT_MOBILE})
HTTP_TIMEOUT = 10.0  # seconds; Twilio answers a create in well under one
STATUS_CALLBACK_PATH = "/sms/status"
_CREDENTIALS = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER")
# The twilio library reads its edge and region from os.environ unless handed a mapping; ours
# come from settings only (a region would also rewrite the host of TWILIO_API_BASE_URL).
_NO_ENVIRONMENT = {"TWILIO_EDGE": "", "TWILIO_REGION": ""}
_EXTENSION_KEY = "guichet.sms_provider"
# Clocks differ: a message Twilio dated a little before our attempt started is still ours.
CLOCK_SKEW = timedelta(minutes=2)


@dataclass(frozen=True)
class Sent:
    """The provider took the message; ``sid`` identifies it in status callbacks."""

    sid: str


class SendError(Exception):
    """The provider did not take the message.

    ``code`` is the provider's error code when it gave one; ``retry`` says whether trying again
    later may succeed (network trouble, 429, 5xx) or not (a refusal of this message).
    ``unknown`` says the request may have reached the provider and its answer was lost (a read
    timeout, a connection closed mid-answer): it may hold the message, so resending blindly
    could send it twice.
    """

    def __init__(
        self, message: str, *, code: int | None, retry: bool, unknown: bool = False
    ) -> None:
        super().__init__(message)
        self.code = code
        self.retry = retry
        self.unknown = unknown


def _may_have_arrived(exc: RequestException) -> bool:
    """Whether a failed request may have reached the provider: all but a connection not made."""
    if isinstance(exc, ConnectTimeout):
        return False
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return not isinstance(reason, NewConnectionError)


class Provider(Protocol):
    def send(self, to: str, body: str) -> Sent: ...

    def find_sent(self, to: str, body: str, since: datetime) -> list[Sent]:
        """The messages with this ``to`` and ``body`` the provider took at or after ``since``,
        newest first; raises :class:`SendError` when the provider cannot be asked."""
        ...


class OutboxProvider:
    """Without Twilio: the message is only stored; its row is the outbox."""

    def send(self, to: str, body: str) -> Sent:
        return Sent("OUTBOX" + secrets.token_hex(14))

    def find_sent(self, to: str, body: str, since: datetime) -> list[Sent]:
        # The outbox keeps nothing but the rows: a send whose SENT was never recorded never
        # left the machine, so it holds none.
        return []


class TwilioProvider:
    """Sends through Twilio's Messages API with the twilio library, paced by ``throttle``."""

    def __init__(
        self, client: Client, from_number: str, status_callback: str | None, throttle: Throttle
    ) -> None:
        self._client = client
        self._from = from_number
        self._throttle = throttle
        self._options: dict[str, Any] = {}
        if status_callback:
            self._options["status_callback"] = status_callback

    def send(self, to: str, body: str) -> Sent:
        try:
            self._throttle.wait(self._from)
        except RedisError as exc:  # nothing left yet: trying again later is safe
            raise SendError(f"pacing unavailable, Redis: {exc}", code=None, retry=True) from exc
        try:
            message = self._client.messages.create(
                to=to, from_=self._from, body=body, **self._options
            )
        except (TwilioRestException, TwilioServiceException) as exc:
            # Without a JSON error body the library reports the HTTP status as the code.
            code = exc.code if exc.code != exc.status else None
            retry = exc.status == 429 or exc.status >= 500
            raise SendError(f"Twilio answered HTTP {exc.status}", code=code, retry=retry) from exc
        except RequestException as exc:
            raise SendError(
                f"Twilio unreachable: {exc}", code=None, retry=True, unknown=_may_have_arrived(exc)
            ) from exc
        return Sent(str(message.sid))

    def find_sent(self, to: str, body: str, since: datetime) -> list[Sent]:
        """Ask Twilio's Messages list (filtered by To, From and DateSent) for this body.

        Twilio dates a message once it went out to the carrier, seconds after it took it; the
        caller asks only about attempts older than that.
        """
        try:
            held = self._client.messages.list(
                to=to, from_=self._from, date_sent_after=(since - CLOCK_SKEW).astimezone(UTC)
            )
        # The error's text quotes the lookup's URL, whose query holds the number: its class only.
        except TwilioException as exc:  # a refused page comes as the base class, no status
            raise SendError(
                f"Twilio refused the lookup: {type(exc).__name__}", code=None, retry=True
            ) from exc
        except RequestException as exc:
            raise SendError(
                f"Twilio unreachable: {type(exc).__name__}", code=None, retry=True
            ) from exc
        return [
            Sent(str(message.sid))
            for message in held
            if message.body == body and message.direction == "outbound-api"
        ]


def _build(config: Settings) -> Provider:
    choice = config.sms_provider
    sid, token, sender = (
        config.twilio_account_sid,
        config.twilio_auth_token,
        config.twilio_from_number,
    )
    given = zip(_CREDENTIALS, (sid, token, sender), strict=True)
    missing = [name for name, value in given if not value]
    # "outbox" keeps messages in while the credentials sign webhooks (a training line).
    if choice == "outbox" or (choice == "auto" and len(missing) == len(_CREDENTIALS)):
        return OutboxProvider()
    if not (sid and token and sender):
        raise ConfigError(
            f"{', '.join(missing)} not set: Twilio needs {', '.join(_CREDENTIALS)} together "
            "(leave all three unset to keep messages in the outbox)"
        )
    client = Client(
        sid,
        token,
        http_client=TwilioHttpClient(timeout=HTTP_TIMEOUT),
        environment=_NO_ENVIRONMENT,
    )
    if config.twilio_api_base_url:
        client.api.base_url = config.twilio_api_base_url
    callback = None
    if config.public_base_url:
        callback = config.public_base_url.rstrip("/") + STATUS_CALLBACK_PATH
    throttle: Throttle
    if config.redis_url:
        throttle = RedisThrottle(connect_redis(config.redis_url), config.twilio_mps)
    else:
        throttle = LocalThrottle(config.twilio_mps)
    return TwilioProvider(client, sender, callback, throttle)


def sms_provider() -> Provider:
    """The app's provider, built on first use from its settings and kept for the process."""
    extensions = current_app.extensions
    if _EXTENSION_KEY not in extensions:
        extensions[_EXTENSION_KEY] = _build(settings())
    return extensions[_EXTENSION_KEY]  # type: ignore[no-any-return]
