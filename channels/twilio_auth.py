"""Twilio webhook signatures, checked the same way for SMS and voice.

Twilio signs the full URL it called plus the POST parameters with the account's auth token.
Behind a proxy the URL Flask sees is not that one, so ``PUBLIC_BASE_URL`` (when set) gives the
public origin; otherwise the request URL is used, made right by ProxyFix (``TRUSTED_PROXIES``).

Hashing a form costs what the form weighs, and anyone can send one with a made-up signature:
the webhook limits (``WEBHOOK_MAX_BYTES``, ``WEBHOOK_MAX_FIELDS``) are applied first, so a body
larger than a Twilio form is refused (413) unread and a form of too many fields unparsed
(:mod:`gateway.limits`).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Request, abort, request
from twilio.request_validator import RequestValidator

from gateway.config import settings

log = logging.getLogger(__name__)
View = TypeVar("View", bound=Callable[..., Any])


def signed_url(req: Request) -> str:
    """The URL Twilio called, as it signed it."""
    base = settings().public_base_url
    if base:
        path = req.full_path if req.query_string else req.path
        return base.rstrip("/") + path
    return req.url


def signature_is_valid(req: Request) -> bool:
    token = settings().twilio_auth_token
    if not token:
        log.warning("Twilio webhook refused: TWILIO_AUTH_TOKEN is not set")
        return False
    signature = req.headers.get("X-Twilio-Signature", "")
    if not signature:
        return False
    return bool(RequestValidator(token).validate(signed_url(req), req.form.to_dict(), signature))


def limit_to_webhook_size(req: Request) -> None:
    """Hold ``req`` to the size of a Twilio form: 413 now when its Content-Length says more;
    otherwise reading past the limit (a chunked body) or parsing too many fields is a 413."""
    max_bytes = settings().webhook_max_bytes
    req.max_content_length = max_bytes
    req.max_form_parts = settings().webhook_max_fields
    if req.content_length is not None and req.content_length > max_bytes:
        abort(413)


def twilio_webhook(view: View) -> View:
    """Refuse any request to ``view`` larger than a Twilio form (413), then any that Twilio
    did not sign (403)."""

    @functools.wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        limit_to_webhook_size(request)
        if not signature_is_valid(request):
            log.warning("twilio signature refused", extra={"status": 403})
            abort(403)
        return view(*args, **kwargs)

    return checked  # type: ignore[return-value]
