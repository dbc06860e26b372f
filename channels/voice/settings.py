"""The voice channel's settings, read from the app's config once and checked at start-up.

The settings are plain strings in the environment ("fr=fr-FR:Polly.Lea-Neural,…"); a typo in
one of them must stop the app from starting, not make a caller hear silence, so
:func:`load_settings` raises :class:`~gateway.config.ConfigError` naming the setting.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from gateway.config import CONTENT_DIR, ConfigError
from gateway.i18n import ORIGINAL_LOCALE

PROMPTS_DIR = CONTENT_DIR / "voice"
_EXTENSION_KEY = "guichet.voice"
_RATE = re.compile(r"(?:\d{1,3}%|x-slow|slow|medium|fast|x-fast)")


@dataclass(frozen=True)
class Voice:
    """How one locale is spoken and heard."""

    language: str  # <Say language>: "fr-FR", "arb"
    name: str  # <Say voice>: "Polly.Lea-Neural"
    rate: str  # SSML prosody rate: "90%"
    speech: str | None  # <Gather language> for speech recognition; None: keypad only


@dataclass(frozen=True)
class VoiceSettings:
    voices: Mapping[str, Voice]
    helpline: str
    gather_timeout: int
    pause: int
    prompts_dir: Path

    def voice(self, locale: str) -> Voice:
        """The voice for ``locale``; content in a locale without one is read in French."""
        return self.voices.get(locale) or self.voices[ORIGINAL_LOCALE]


def _pairs(name: str, raw: str) -> dict[str, str]:
    """ "a=x,b=y" → {"a": "x", "b": "y"}."""
    pairs = {}
    for part in filter(None, (chunk.strip() for chunk in raw.split(","))):
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ConfigError(f"{name}: {part!r} is not of the form locale=value")
        pairs[key.strip()] = value.strip()
    return pairs


def load_settings(config: Mapping[str, Any]) -> VoiceSettings:
    """The voice settings of ``config``; every locale of ``LOCALES`` and French need a voice."""
    voices = _pairs("VOICE_VOICES", config["VOICE_VOICES"])
    rates = _pairs("VOICE_RATES", config["VOICE_RATES"])
    speech = _pairs("VOICE_SPEECH_LANGUAGES", config["VOICE_SPEECH_LANGUAGES"] or "")
    needed = {*config["LOCALES"], ORIGINAL_LOCALE}
    missing = sorted(needed - set(voices))
    if missing:
        raise ConfigError(f"VOICE_VOICES: no voice for {', '.join(missing)}")
    parsed = {}
    for locale, spec in voices.items():
        language, sep, name = spec.partition(":")
        if not sep or not language or not name:
            raise ConfigError(f"VOICE_VOICES: {locale}={spec!r}: expected language:voice")
        rate = rates.get(locale) or rates.get("*") or "100%"
        if not _RATE.fullmatch(rate):
            raise ConfigError(f"VOICE_RATES: {rate!r}: a percentage (90%) or x-slow…x-fast")
        parsed[locale] = Voice(language, name, rate, speech.get(locale))
    return VoiceSettings(
        voices=parsed,
        helpline=config["HELPLINE_NUMBER"],
        gather_timeout=config["VOICE_GATHER_TIMEOUT"],
        pause=config["VOICE_PAUSE_SECONDS"],
        prompts_dir=Path(config["VOICE_PROMPTS_DIR"] or PROMPTS_DIR),
    )


def init_app(app: Flask) -> None:
    """Check the settings now (a bad one stops the start) and keep them for the requests."""
    app.extensions[_EXTENSION_KEY] = load_settings(app.config)


def voice_settings() -> VoiceSettings:
    return current_app.extensions[_EXTENSION_KEY]  # type: ignore[no-any-return]
