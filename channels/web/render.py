"""Turning a rendered page into the response a phone on 2G can afford.

Every page goes through :func:`page`: a weak ETag made of the directory version, the locale
and a digest of the page (the page also says "open now", which changes with the clock, not
only with the directory), a 304 when the browser already has it, gzip or brotli, and the
headers that keep the page cacheable, private where it must be, and script-free (its
Content-Security-Policy allows the one inlined stylesheet and nothing else; the other security
headers are every response's, :mod:`gateway.security`).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import TypeVar

from flask import Response, request
from werkzeug.wrappers import Response as BaseResponse

from gateway import security
from gateway.compression import compress, negotiated_encoding

AnyResponse = TypeVar("AnyResponse", bound=BaseResponse)
STYLESHEET = Path(__file__).resolve().parent / "static" / "lite.css"
VARY = "Accept-Encoding, Accept-Language, Cookie"


@cache
def stylesheet() -> str:
    """The one small stylesheet, inlined in every page: no extra round trip on a 2G link."""
    return STYLESHEET.read_text(encoding="utf-8")


@cache
def content_security_policy() -> str:
    """No script, font, image or frame may load; only our inlined stylesheet applies."""
    digest = base64.b64encode(hashlib.sha256(stylesheet().encode("utf-8")).digest()).decode()
    return security.content_security_policy(style=f"'sha256-{digest}'", images=False)


def etag_for(version: int, locale: str, body: str, identity: str = "") -> str:
    """``<directory version>-<locale>-<digest>``: new whenever the directory or the page
    changes; ``identity`` adds what the page depends on but must not show (a form token)."""
    digest = hashlib.sha256((identity + "\n" + body).encode("utf-8")).hexdigest()[:16]
    return f"{version}-{locale}-{digest}"


def page(
    body: str,
    *,
    version: int,
    locale: str,
    status: int = 200,
    private: bool = False,
    identity: str = "",
    late: Mapping[str, str] | None = None,
) -> Response:
    """The response for a rendered page.

    ``late`` maps placeholders in ``body`` to values put in after the ETag is computed: a
    form token changes on every render, yet the page is the same for this visitor, whose
    revisit must still cost a 304 (``identity`` then names what the token stands for).
    Error pages (``status`` not 200) carry no validator.
    """
    response = Response(status=status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = content_security_policy()
    response.headers["Vary"] = VARY
    response.headers["Cache-Control"] = "private, no-cache" if private else "no-cache"
    if status == 200:
        etag = etag_for(version, locale, body, identity)
        response.set_etag(etag, weak=True)
        if request.if_none_match.contains_weak(etag):
            response.status_code = 304
            return response
    for placeholder, value in (late or {}).items():
        body = body.replace(placeholder, value)
    encoding = negotiated_encoding()
    response.set_data(compress(body.encode("utf-8"), encoding))
    if encoding:
        response.headers["Content-Encoding"] = encoding
    return response


def not_stored(response: AnyResponse) -> AnyResponse:
    """For answers to a form and pages about one visitor's action: never cached."""
    response.headers["Cache-Control"] = "no-store"
    return response
