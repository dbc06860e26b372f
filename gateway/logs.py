"""Logs that help and never betray: one JSON line per event on stderr, numbers masked.

:func:`init_app` (called by the factory) sends every record of the process — the app's, the
libraries', the RQ worker's — to one handler on the root logger that writes it as one JSON
object on one line: ``time``, ``level``, ``logger``, ``event`` (the message), the request's
``method`` and ``path`` (never its query string: searches are residents' words), any
``extra={...}`` fields, and ``exc`` for a traceback. Platforms and ``jq`` read that as it is.
The standard library does it in a few lines; a formatter package would add a dependency for
no more than that.

Code logs ids, counts and durations, never a message body or a phone number. As a last line
of defence every line is masked (:class:`Masker`): whatever looks like a phone number
(international or national to ``PHONE_REGION``) and PostgreSQL's ``DETAIL`` lines, which
quote the rows a statement failed on, in the message, the fields and the traceback. Gunicorn's
own error log gets the same mask (:class:`Redaction`). SQLAlchemy's engines are created with
``hide_parameters``, so that their errors never quote the values either (:mod:`gateway.db`).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import IO, Any

from flask import Flask, has_request_context, request

from gateway.config import settings
from gateway.privacy import scrub_phone_numbers

# What a LogRecord holds of its own; anything else on a record came in ``extra``.
_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
# PostgreSQL's DETAIL lines quote values: "Key (x)=(…) already exists", "Failing row contains".
_PG_DETAIL = re.compile(r"DETAIL:[^\n]*")
_MASKED_DETAIL = "DETAIL: [hidden]"


class Masker:
    """Masks phone numbers and PostgreSQL's quoted values in a piece of log text."""

    def __init__(self, region: str) -> None:
        self.region = region

    def __call__(self, text: str) -> str:
        return scrub_phone_numbers(_PG_DETAIL.sub(_MASKED_DETAIL, text), self.region)


class JsonLines(logging.Formatter):
    """A record as one JSON object on one line, every text in it masked; the record itself is
    left as it came (other handlers, a test's among them, see what the code logged)."""

    def __init__(self, mask: Masker) -> None:
        super().__init__()
        self.mask = mask

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {"event": record.getMessage()}
        if has_request_context():
            line["method"], line["path"] = request.method, request.path
        line.update(
            (name, value) for name, value in vars(record).items() if name not in _RECORD_FIELDS
        )
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        masked = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            **{
                name: self.mask(value) if isinstance(value, str) else value
                for name, value in line.items()
            },
        }
        return json.dumps(masked, ensure_ascii=False, default=lambda value: self.mask(str(value)))


class Redaction(logging.Filter):
    """The same mask on the records of handlers we do not format (gunicorn's error log)."""

    def __init__(self, mask: Masker) -> None:
        super().__init__()
        self.mask = mask

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = self.mask(record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.mask(record.exc_text)
        return True


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to the ``sys.stderr`` of the moment, not the one of its creation (test runners
    and CLI runners swap it; a handler holding an old one would write to a closed file)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> IO[str]:
        return sys.stderr

    @stream.setter
    def stream(self, _value: IO[str]) -> None:
        pass


def init_app(app: Flask) -> None:
    """Send every log record of the process through one redacting JSON-lines handler.

    Idempotent: a process that builds several apps (tests, the CLI) keeps one handler, set to
    the latest app's ``LOG_LEVEL`` and ``PHONE_REGION``.
    """
    root = logging.getLogger()
    handler = next((h for h in root.handlers if isinstance(h, _StderrHandler)), None)
    if handler is None:
        handler = _StderrHandler()
        root.addHandler(handler)
    mask = Masker(settings(app).phone_region)
    handler.setFormatter(JsonLines(mask))
    # Gunicorn's error log does not propagate to the root: its records are masked in place.
    for each in logging.getLogger("gunicorn.error").handlers:
        for old in [f for f in each.filters if isinstance(f, Redaction)]:
            each.removeFilter(old)
        each.addFilter(Redaction(mask))
    root.setLevel(settings(app).log_level)
