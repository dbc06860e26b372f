"""What the voice channel says with: each locale's voice, and the menu's pace.

The settings themselves are parsed and checked with the others when the app starts
(:class:`gateway.config.Settings`: ``VOICE_VOICES``, ``VOICE_RATES``,
``VOICE_SPEECH_LANGUAGES``…); this module puts one locale's voice, rate and recognition
language together for the renderer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from gateway.config import ORIGINAL_LOCALE, Settings, settings


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

    @classmethod
    def of(cls, config: Settings) -> VoiceSettings:
        """A locale's rate is its own, else the one for "*", else the voice's normal pace."""
        rates = config.voice_rates
        voices = {
            locale: Voice(
                voice.language,
                voice.name,
                rates.get(locale) or rates.get("*") or "100%",
                config.voice_speech_languages.get(locale),
            )
            for locale, voice in config.voice_voices.items()
        }
        return cls(
            voices=voices,
            helpline=config.helpline_number,
            gather_timeout=config.voice_gather_timeout,
            pause=config.voice_pause_seconds,
            prompts_dir=config.voice_prompts_dir,
        )

    def voice(self, locale: str) -> Voice:
        """The voice for ``locale``; content in a locale without one is read in French."""
        return self.voices.get(locale) or self.voices[ORIGINAL_LOCALE]


def voice_settings() -> VoiceSettings:
    """The current app's (a few objects per call: cheaper than keeping a copy in step)."""
    return VoiceSettings.of(settings())
