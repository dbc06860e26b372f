"""Settings, read from the environment once per app.

The app factory calls :func:`load_settings` with the process environment and the caller's
overrides; nothing else in the code reads ``os.environ``. Tests pass the same names in
``overrides`` so that a test never depends on the shell it was started from.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# Package data: the interface catalogs and the demo city's content ship inside the package, so
# an installed wheel finds them where a checkout does.
PACKAGE_DIR = Path(__file__).resolve().parent
TRANSLATIONS_DIR = PACKAGE_DIR / "translations"
CONTENT_DIR = PACKAGE_DIR / "content"

SUPPORTED_LOCALES = ("fr", "en", "ar", "es", "pt", "uk")
RTL_LOCALES = frozenset({"ar"})


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message says which and how to fix it."""


def normalize_database_url(url: str) -> str:
    """Make the URLs hosting platforms hand out run on psycopg 3.

    Heroku-style ``postgres://`` and plain ``postgresql://`` would otherwise pick psycopg2,
    which we do not ship.
    """
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def _as_locales(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    locales = tuple(value)
    unknown = [code for code in locales if code not in SUPPORTED_LOCALES]
    if unknown:
        raise ConfigError(
            f"LOCALES: unsupported locale(s) {', '.join(unknown)}; "
            f"choose among {', '.join(SUPPORTED_LOCALES)}"
        )
    return locales


def _as_share(value: Any) -> float:
    share = float(value)
    if not 0 <= share <= 1:
        raise ConfigError(f"QUEUED_SEGMENT_SHARE: {value} is not a share between 0 and 1")
    return share


# name -> (default, converter). A default of None means "unset".
_SETTINGS: dict[str, tuple[Any, Any]] = {
    "DATABASE_URL": (None, str),
    # Seconds: to open a database connection; for one statement to run, waiting for locks
    # included (SQLite: for its write lock); to wait for a free connection of the pool. Short,
    # so that a database that is down or stuck costs a webhook a fast 503, not Twilio's 15 s.
    "DATABASE_CONNECT_TIMEOUT": (3.0, float),
    "DATABASE_STATEMENT_TIMEOUT": (5.0, float),
    "DATABASE_POOL_TIMEOUT": (3.0, float),
    # Seconds /healthz waits for its checks before it answers that one of them did not answer.
    "HEALTH_CHECK_TIMEOUT": (1.5, float),
    # Seconds a 503 (database unavailable) asks clients to wait before trying again.
    "RETRY_AFTER_SECONDS": (30, int),
    "REDIS_URL": (None, str),
    "SECRET_KEY": (None, str),
    "PHONE_HASH_KEY": (None, str),
    "TWILIO_ACCOUNT_SID": (None, str),
    "TWILIO_AUTH_TOKEN": (None, str),
    "TWILIO_FROM_NUMBER": (None, str),
    "TWILIO_API_BASE_URL": (None, str),
    "SMS_PROVIDER": ("auto", str),
    "TWILIO_MPS": (1.0, float),
    "DAILY_SEGMENT_CAP": (2000, int),
    # The part of DAILY_SEGMENT_CAP that queued messages (voice hand-offs, alerts, confirmations)
    # may use, from 0 to 1; answers to residents' texts may use all of it, so they are never
    # starved by what callers ask for.
    "QUEUED_SEGMENT_SHARE": (0.25, _as_share),
    # Messages one number is sent per hour, SMS answers and queued messages (a "#" hand-off)
    # together; then one notice by SMS and silence for an hour. 0: no limit.
    "SMS_RATE_LIMIT_PER_HOUR": (30, int),
    # Text messages one voice call may send with "#" (each service once). 0: no limit.
    "HANDOFF_LIMIT_PER_CALL": (3, int),
    # /dev/phone, a page playing a phone against the SMS channel (on anyway with DEBUG or TESTING).
    "DEV_PHONE_PAGE": (False, _as_bool),
    "SEND_RETRY_INTERVALS": ("10,30,120,600,1800", str),
    # The sweeper of unsent messages (guichet cron): how often it runs, and how long a send may
    # go without an outcome before it is checked with Twilio (a queued one: half that).
    "SWEEP_INTERVAL_SECONDS": (120, int),
    "SEND_STALE_AFTER_SECONDS": (120, float),
    "PUBLIC_BASE_URL": (None, str),
    # Bytes and fields any request may send (Flask's own names; over them: a 413 page). The back
    # office's largest form is a few KB of a few hundred fields.
    "MAX_CONTENT_LENGTH": (1024 * 1024, int),
    "MAX_FORM_PARTS": (1000, int),
    # The same for Twilio's webhooks, checked before the signature: their forms are about 1 KB
    # of 20-40 fields; a 1600-character SMS of emoji is about 20 KB once percent-encoded.
    "WEBHOOK_MAX_BYTES": (32 * 1024, int),
    "WEBHOOK_MAX_FIELDS": (64, int),
    "TRUSTED_PROXIES": (0, int),
    "HELPLINE_NUMBER": ("+33261910000", str),
    # When a person answers HELPLINE_NUMBER: "MO-FR 09:00-12:30,13:30-17:00; SA 09:00-12:00".
    "HELPLINE_HOURS": ("MO-FR 09:00-17:00", str),
    # Voice menu, per locale: "locale=language:voice" pairs, the speech rate (SSML prosody, "*" for
    # every locale) and the speech-recognition language (a locale left out gets keypad only).
    "VOICE_VOICES": (
        "fr=fr-FR:Polly.Lea-Neural,en=en-GB:Polly.Amy-Neural,ar=arb:Polly.Zeina,"
        "es=es-ES:Polly.Lucia-Neural,pt=pt-PT:Polly.Ines-Neural,uk=uk-UA:Google.uk-UA-Standard-A",
        str,
    ),
    "VOICE_RATES": ("*=90%", str),
    "VOICE_SPEECH_LANGUAGES": ("fr=fr-FR,en=en-GB,ar=ar-MA,es=es-ES,pt=pt-PT,uk=uk-UA", str),
    "VOICE_GATHER_TIMEOUT": (8, int),  # seconds of silence before a menu is said again
    "VOICE_PAUSE_SECONDS": (1, int),  # between the items of a menu
    "VOICE_PROMPTS_DIR": (None, str),  # recorded prompts; default: gateway/content/voice
    "DEFAULT_LOCALE": ("fr", str),
    "LOCALES": (SUPPORTED_LOCALES, _as_locales),
    "TIMEZONE": ("Europe/Paris", str),
    "CITY_NAME": ("Val-de-Lisle", str),
    # Guichet's own numbers, shown on the web site for residents who would rather text or call.
    "SMS_NUMBER": ("+33639980000", str),
    "VOICE_NUMBER": ("+33261910001", str),
    # The country whose national phone number forms ("06 12 34 56 78") are recognised, and
    # blanked, in what residents write (reports, messages, searches) and in the logs.
    "PHONE_REGION": ("FR", str),
    # The least severe log records written (one JSON line each on stderr): DEBUG, INFO, WARNING…
    "LOG_LEVEL": ("INFO", str),
    "RETENTION_DAYS": (30, int),
    "CONVERSATION_TTL_MINUTES": (30, int),
    "ADMIN_IDLE_MINUTES": (480, int),
    # Login guessing is slowed per address, never by locking an account (gateway/admin/throttle):
    # wrong passwords for one account from one address before that address is blocked for it,
    "LOGIN_MAX_FAILURES": (5, int),
    # from one address for any accounts before it is blocked for those it never signed in to,
    "LOGIN_MAX_FAILURES_PER_ADDRESS": (20, int),
    # and how long these blocks last (the window in which wrong passwords are counted).
    "LOGIN_LOCKOUT_MINUTES": (15, int),
    # Wrong passwords for one account from all addresses before new addresses wait between
    # tries, a wait doubling from 1 s up to LOGIN_ACCOUNT_MAX_DELAY_SECONDS (a delay, no lock).
    "LOGIN_ACCOUNT_SLOWDOWN_FAILURES": (20, int),
    "LOGIN_ACCOUNT_MAX_DELAY_SECONDS": (60, int),
    "TESTING": (False, _as_bool),
    "DEBUG": (False, _as_bool),
}


def load_settings(
    environ: Mapping[str, str], overrides: Mapping[str, Any] | None, instance_path: str
) -> dict[str, Any]:
    """Return the app's settings: defaults, then the environment, then ``overrides``."""
    settings: dict[str, Any] = {}
    for name, (default, convert) in _SETTINGS.items():
        raw: Any = default
        if name in environ and environ[name] != "":
            raw = environ[name]
        if overrides and name in overrides:
            raw = overrides[name]
        settings[name] = convert(raw) if raw is not None else None
    if overrides:
        settings.update({k: v for k, v in overrides.items() if k not in _SETTINGS})

    if settings["DATABASE_URL"] is None:
        db_file = Path(instance_path) / "guichet.sqlite3"
        settings["DATABASE_URL"] = f"sqlite:///{db_file}"
    settings["DATABASE_URL"] = normalize_database_url(settings["DATABASE_URL"])

    if settings["DEFAULT_LOCALE"] not in settings["LOCALES"]:
        raise ConfigError(
            f"DEFAULT_LOCALE={settings['DEFAULT_LOCALE']} is not in LOCALES "
            f"({', '.join(settings['LOCALES'])})"
        )

    production = not (settings["DEBUG"] or settings["TESTING"])
    if not settings["SECRET_KEY"]:
        if production:
            raise ConfigError(
                "SECRET_KEY is not set. In production Guichet needs a long random SECRET_KEY "
                "(python -c 'import secrets; print(secrets.token_urlsafe(48))'), "
                "or DEBUG=1 on a developer's machine."
            )
        settings["SECRET_KEY"] = "dev-only-not-secret"
    if not settings["PHONE_HASH_KEY"]:
        settings["PHONE_HASH_KEY"] = settings["SECRET_KEY"]

    settings["BABEL_DEFAULT_LOCALE"] = settings["DEFAULT_LOCALE"]
    settings["BABEL_DEFAULT_TIMEZONE"] = settings["TIMEZONE"]
    return settings


def environment() -> Mapping[str, str]:
    """The process environment; the single place that reads it."""
    return os.environ
