"""The channel-neutral conversation engine: ``handle(Inbound) -> Reply``.

Channels (SMS, voice, web) parse their request into an :class:`Inbound`, call :func:`handle`
(or :func:`browse`, for a link on a channel that keeps no conversation) and render the
:class:`Reply` in their medium; the engine never sees a request or markup.
"""

from gateway.conversation.engine import browse, handle
from gateway.conversation.types import (
    Action,
    Choice,
    Expect,
    Hints,
    Inbound,
    Line,
    LineRole,
    LocaleSource,
    Reply,
    ReplyKind,
    Verb,
)

__all__ = [
    "Action",
    "Choice",
    "Expect",
    "Hints",
    "Inbound",
    "Line",
    "LineRole",
    "LocaleSource",
    "Reply",
    "ReplyKind",
    "Verb",
    "browse",
    "handle",
]
