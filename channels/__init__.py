"""Channel adapters: SMS, voice, web, WhatsApp.

Each turns its medium's requests into core calls and the core's answers into its medium; the
core never imports from here.

A channel is a package here whose ``init_app(app)`` registers its routes (blueprints) and its
``guichet`` commands; :data:`CHANNELS` lists them and :func:`init_app` is the factory's one
call. An explicit tuple rather than discovery (entry points, scanning the folder): adding a
channel is one reviewed line, the order of registration is visible, and a stray folder does
nothing.
"""

from __future__ import annotations

import importlib

from flask import Flask

CHANNELS = ("channels.web", "channels.voice", "channels.sms", "channels.whatsapp")


def init_app(app: Flask) -> None:
    """Register every channel's routes and commands on ``app``."""
    for name in CHANNELS:
        importlib.import_module(name).init_app(app)
