"""Turning what is to be said into TwiML: a recording, or a voice that speaks its language.

Every ``<Say>`` carries the language and the voice configured for the text's own locale (a
French street name inside an Arabic menu is read by the French voice) and wraps its words in
SSML ``<prosody rate>`` so the speed is set per locale. Phone numbers are read digit by digit,
in pairs, the way they are dialled at home.
"""

from __future__ import annotations

import re
from typing import Any

from flask import url_for
from twilio.twiml.voice_response import Gather, VoiceResponse

from channels.voice.prompts import Spoken, recording
from channels.voice.settings import VoiceSettings
from gateway.config import settings
from gateway.contacts import local_form

_NUMBER = re.compile(r"\+?\d[\d .\-]{4,}\d")


def spoken_number(number: str, settings: VoiceSettings) -> str:
    """ "+33261910100" → "0 2, 6 1, 9 1, 0 1, 0 0": digits one by one, a breath every pair.

    The digits are those the city writes (:func:`gateway.contacts.local_form`): numbers of the
    helpline's country in their national form, others with their "+".
    """
    written = local_form(number, settings.helpline)
    plus = "+ " if written.startswith("+") else ""
    digits = re.sub(r"\D", "", written)
    pairs = [" ".join(digits[i : i + 2]) for i in range(0, len(digits), 2)]
    return plus + ", ".join(pairs)


def with_spoken_numbers(text: str, settings: VoiceSettings) -> str:
    """``text`` with every phone number in it made readable digit by digit."""
    return _NUMBER.sub(lambda match: spoken_number(match[0], settings), text)


def public_url(endpoint: str, **values: Any) -> str:
    """An absolute URL Twilio can fetch: on ``PUBLIC_BASE_URL`` when set, else as requested."""
    base = settings().public_base_url
    if base:
        return base.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, **values, _external=True)


def add(parent: VoiceResponse | Gather, spoken: Spoken, settings: VoiceSettings) -> None:
    """Append ``spoken`` to ``parent``: its recording when there is one, else a ``<Say>``."""
    audio = recording(settings.prompts_dir, spoken)
    if audio is not None:
        parent.play(public_url("voice.prompt_audio", locale=spoken.locale, filename=audio.name))
        return
    voice = settings.voice(spoken.locale)
    say = parent.say(voice=voice.name, language=voice.language)
    say.prosody(spoken.text, rate=voice.rate)
