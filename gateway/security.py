"""The security headers, on every response: pages, redirects, TwiML, JSON, and the error pages
(404, 405, 413, 500) that no blueprint's own hook would see.

One app-wide ``after_request`` hook sets what a response has not set itself. A response may set
its own Content-Security-Policy, made with :func:`content_security_policy`: the lite site's
pages allow their one inlined stylesheet by its hash (:func:`channels.web.render.page`); every
other response gets :data:`POLICY`, the back office's (its own stylesheet and images).

HSTS (``Strict-Transport-Security``) is sent when the request came over HTTPS (as ProxyFix
reports it with ``TRUSTED_PROXIES``) or when ``PUBLIC_BASE_URL`` is https: the latter covers a
proxy that terminates TLS without saying so. A developer's ``http://127.0.0.1`` is never
pinned to HTTPS, and browsers ignore the header over plain HTTP anyway (RFC 6797, 8.1).
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request

HSTS = "max-age=31536000; includeSubDomains"  # a year, the city's sub-domains too
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def content_security_policy(*, style: str, images: bool) -> str:
    """No script, font, frame or plugin, ever; stylesheets from ``style`` (a CSP source such
    as ``'self'`` or ``'sha256-…'``), images from this site only when ``images``; forms post
    only to this site."""
    image_source = "img-src 'self'; " if images else ""
    return (
        f"default-src 'none'; style-src {style}; {image_source}form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    )


POLICY = content_security_policy(style="'self'", images=True)


def _https() -> bool:
    public = current_app.config.get("PUBLIC_BASE_URL") or ""
    return request.is_secure or public.startswith("https://")


def secure_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Content-Security-Policy", POLICY)
    if _https():
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def init_app(app: Flask) -> None:
    app.after_request(secure_headers)
