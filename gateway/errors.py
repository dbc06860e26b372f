"""A database that is down, stuck or refusing: a fast 503 for every request, never a 500.

Every engine gives up on its database within seconds (``DATABASE_*_TIMEOUT``); the error that
follows is answered here. A 503 with ``Retry-After`` tells a browser to come back and Twilio
to call the number's fallback URL, or to retry the webhook: an inbound text that could not be
stored is not lost, and one stored but not answered is answered on that retry
(:func:`gateway.messaging.inbound.receive`). Errors that say the request itself was wrong (a
constraint, a bad value) are not answered here: they are bugs, and stay 500s.

One log line per refusal, with the route and the driver's error class only: the statement's
parameters are hidden by the engine, and the error text may still quote a value.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, request
from flask_babel import gettext as _
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from gateway.config import settings

log = logging.getLogger(__name__)


def database_unavailable(error: DBAPIError | PoolTimeoutError) -> Response:
    cause = type(error.orig).__name__ if isinstance(error, DBAPIError) else type(error).__name__
    log.warning(
        "database unavailable (%s): %s %s answered 503", cause, request.method, request.path
    )
    return busy()


def busy() -> Response:
    """The 503 with ``Retry-After`` of a process that cannot answer now, in the request's
    language: its database is unavailable, or it is still reading the directory."""
    response = Response(
        _("The service is busy. Please try again in a few minutes."),
        status=503,
        mimetype="text/plain",
    )
    response.retry_after = settings().retry_after_seconds
    return response


def init_app(app: Flask) -> None:
    # OperationalError: refused or lost connections, statement timeouts, "database is
    # locked", deadlocks; TimeoutError: no connection of the pool free in time.
    app.register_error_handler(OperationalError, database_unavailable)
    app.register_error_handler(PoolTimeoutError, database_unavailable)


def expired_form() -> str:
    """What a refused CSRF token means to the person who sent the form, in the lite site and
    the back office alike (each renders it in its own error page)."""
    return _(
        "This form has expired or did not come from this site. Go back, reload the page "
        "and try again."
    )
