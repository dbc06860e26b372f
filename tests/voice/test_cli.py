"""``guichet call`` walks the same menu in a terminal: what would be said, keys from stdin."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.conftest import translated
from tests.voice.conftest import new_number

pytestmark = pytest.mark.backends("postgresql")


def _call(app: Flask, keys: list[str], *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["call", *args], input="\n".join(keys) + "\n")
    assert result.exit_code == 0, result.output
    return result.stdout  # the log lines go to stderr


def test_walks_to_a_place_and_hangs_up(voice_app: Flask, clock) -> None:
    output = _call(voice_app, ["2", "1", "1", "q"], "--from", new_number())
    assert "fr-FR: Français" in output  # each language in its own voice
    assert "arb: العربية" in output
    assert "en-GB: Food: press 1." in output
    assert "en-GB: Press the number of a place." in output
    assert "To get these details by text message, press hash." in output
    assert output.rstrip().endswith("[you hung up]")


def test_a_silent_caller_hears_the_goodbye(voice_app: Flask, clock) -> None:
    output = _call(voice_app, ["", "", ""])
    assert output.count(translated("I did not hear anything.")) == 2
    assert "0 2, 6 1, 9 1, 0 0, 0 0" in output  # the helpline, read as dialled
    assert output.rstrip().endswith("[call ended]")


def test_the_helpline_is_dialled(voice_app: Flask, clock) -> None:
    output = _call(voice_app, ["2", "0", "q"])
    assert "[dialling +33261910000]" in output
    assert "What do you need?" in output.split("[dialling")[1]  # back to the menu after it
