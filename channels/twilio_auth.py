"""Twilio webhook signatures, checked the same way for SMS and voice.

Twilio signs the full URL it called plus the POST parameters with the account's auth token.
Behind a proxy the URL Flask sees is not that one, so ``PUBLIC_BASE_URL`` (when set) gives the
public origin; otherwise the request URL is used, made right by ProxyFix (``TRUSTED_PROXIES``).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Request, abort, current_app, request
from twilio.request_validator import RequestValidator

log = logging.getLogger(__name__)
View = TypeVar("View", bound=Callable[..., Any])


def signed_url(req: Request) -> str:
    """The URL Twilio called, as it signed it."""
    base = current_app.config.get("PUBLIC_BASE_URL")
    if base:
        path = req.full_path if req.query_string else req.path
        return base.rstrip("/") + path
    return req.url


def signature_is_valid(req: Request) -> bool:
    token = current_app.config.get("TWILIO_AUTH_TOKEN")
    if not token:
        log.warning("Twilio webhook refused: TWILIO_AUTH_TOKEN is not set")
        return False
    signature = req.headers.get("X-Twilio-Signature", "")
    if not signature:
        return False
    return bool(RequestValidator(token).validate(signed_url(req), req.form.to_dict(), signature))


def twilio_webhook(view: View) -> View:
    """Refuse (403) any request to ``view`` that Twilio did not sign."""

    @functools.wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if not signature_is_valid(request):
            log.warning("twilio signature refused", extra={"status": 403})
            abort(403)
        return view(*args, **kwargs)

    return checked  # type: ignore[return-value]
