"""The security headers, on every response: pages, redirects, TwiML, JSON, and the error pages
(404, 405, 413, 500) that no blueprint's own hook would see.

One app-wide ``after_request`` hook sets what a response has not set itself; no blueprint has
a header hook of its own. A response may set its own Content-Security-Policy, made with
:func:`content_security_policy`: the lite site's pages allow their one inlined stylesheet by
its hash (:func:`channels.web.render.page`); every other response gets :data:`POLICY`, the back
office's (its own stylesheet and images). A blueprint whose every page needs other headers
declares them once with :func:`blueprint_headers` (the back office's pages are never cached,
the developer phone inlines its stylesheet); its static files keep the defaults.

HSTS (``Strict-Transport-Security``) is sent when the request came over HTTPS (as ProxyFix
reports it with ``TRUSTED_PROXIES``) or when ``PUBLIC_BASE_URL`` is https: the latter covers a
proxy that terminates TLS without saying so. A developer's ``http://127.0.0.1`` is never
pinned to HTTPS, and browsers ignore the header over plain HTTP anyway (RFC 6797, 8.1).
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import Blueprint, Flask, Response, current_app, request
from flask.blueprints import BlueprintSetupState

from gateway.config import settings

_EXTENSION_KEY = "guichet.security"
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
    public = settings().public_base_url or ""
    return request.is_secure or public.startswith("https://")


def blueprint_headers(blueprint: Blueprint, headers: Mapping[str, str]) -> None:
    """Give every response of ``blueprint`` (but its static files) ``headers``, over the app's
    defaults and unless the response set its own."""

    def register(state: BlueprintSetupState) -> None:
        state.app.extensions.setdefault(_EXTENSION_KEY, {})[blueprint.name] = dict(headers)

    blueprint.record_once(register)


def _blueprint_headers() -> Mapping[str, str]:
    if request.blueprint is None or request.endpoint == f"{request.blueprint}.static":
        return {}
    declared: dict[str, Mapping[str, str]] = current_app.extensions.get(_EXTENSION_KEY, {})
    return declared.get(request.blueprint, {})


def secure_headers(response: Response) -> Response:
    for name, value in _blueprint_headers().items():
        response.headers.setdefault(name, value)
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Content-Security-Policy", POLICY)
    if _https():
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def init_app(app: Flask) -> None:
    app.after_request(secure_headers)
