"""The adapter contract every channel keeps: its request in, the engine's reply out.

A channel's view checks the request (signature), lets its adapter :meth:`Adapter.parse` it into
an :class:`~gateway.conversation.Inbound`, calls :func:`gateway.conversation.handle`, and lets
the adapter :meth:`Adapter.render` the :class:`~gateway.conversation.Reply` in its medium. The
adapter decides nothing: what to answer is the engine's, how it looks or sounds is the
adapter's. An adapter instance serves one request, so it may keep what ``parse`` learnt (a
caller's number, state carried in a URL) for ``render``.
"""

from __future__ import annotations

from typing import Protocol

from flask import Request, Response

from gateway.conversation import Inbound, Reply


class Adapter(Protocol):
    channel: str  # the engine's name for the channel ("sms", "voice", "web")

    def parse(self, request: Request) -> Inbound:
        """The resident's message or key press, as the engine takes it."""
        ...

    def render(self, reply: Reply) -> Response:
        """The engine's reply in the channel's medium (TwiML, HTML…)."""
        ...
