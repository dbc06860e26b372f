"""Limits before work: how much of a request the app reads before it refuses it (413).

Flask and Werkzeug bound a body (``MAX_CONTENT_LENGTH``, checked against Content-Length before
reading and while reading a chunked body) and the parts of a multipart form
(``MAX_FORM_PARTS``), app-wide or per request (``request.max_content_length``,
``request.max_form_parts``; the Twilio webhooks lower both, see
:mod:`channels.twilio_auth`). Werkzeug does not count the fields of an urlencoded form, the
kind every form of ours and every Twilio webhook posts: 1 MB of ``a&a&…`` is half a million
fields to parse. :class:`Request` counts them in the raw body before parsing, against the same
``max_form_parts``.
"""

from __future__ import annotations

import flask
from werkzeug.exceptions import RequestEntityTooLarge

URLENCODED = "application/x-www-form-urlencoded"


class Request(flask.Request):
    """Flask's request, whose urlencoded form holds at most ``max_form_parts`` fields."""

    def _load_form_data(self) -> None:
        if "form" not in self.__dict__ and self.mimetype == URLENCODED:
            limit = self.max_form_parts
            # The raw body is bounded by max_content_length; the form is then parsed from it.
            if limit is not None and self.get_data(cache=True).count(b"&") >= limit:
                raise RequestEntityTooLarge()
        super()._load_form_data()
