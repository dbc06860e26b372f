"""The channel-neutral conversation engine: ``handle(Inbound) -> Reply``.

Channels (SMS, voice, web) parse their request into an :class:`Inbound`, call :func:`handle`
and render the :class:`Reply` in their medium; the engine never sees a request or markup.
"""

from gateway.conversation.engine import handle
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
    "handle",
]
