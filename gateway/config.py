"""Settings: one typed, frozen object per app, read from the environment once.

The app factory calls :func:`init_app`, which builds :class:`Settings` with :func:`load_settings`
from the process environment and the caller's overrides (overrides win; an empty variable is
unset) and keeps it on the app; nothing else reads ``os.environ``. Code reads a setting as
``settings().retention_days``, a typed attribute that mypy checks; ``app.config`` holds only
what Flask and its extensions read themselves (:func:`flask_config`), plus overrides that are
not Guichet settings (``SERVER_NAME``, ``WTF_CSRF_ENABLED``…). Tests pass the environment's
names (``RETENTION_DAYS``) in ``overrides`` so that a test never depends on its shell.

Each field is named after its variable in lower case and declares its default in the
variable's own form and the converter that checks it, so a typo (``LOCALES=fr,xx``,
``HELPLINE_HOURS=weekdays``) stops the app from starting with a :class:`ConfigError` naming
the variable and what it expects, rather than surfacing as a caller's silence or a 500 hours
later. A refused value is quoted, except for secrets and database or Redis URLs, which may
hold passwords and would end up in a deployment log.

Not pydantic-settings: it would be one more dependency (pydantic and its compiled core) for
about sixty flat fields, its errors quote the refused input unless told otherwise, and we want
a frozen slotted dataclass, our own messages in the variables' names, "empty is unset", and
Flask's own keys passing through the same overrides.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import time
from pathlib import Path
from typing import Any, Literal, NamedTuple, TypeVar, cast, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, current_app
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from gateway.directory.hours import WEEKDAY_CODES, WeeklyRange

# Package data: the interface catalogs and the demo city's content ship inside the package, so
# an installed wheel finds them where a checkout does.
PACKAGE_DIR = Path(__file__).resolve().parent
TRANSLATIONS_DIR = PACKAGE_DIR / "translations"
CONTENT_DIR = PACKAGE_DIR / "content"
PROMPTS_DIR = CONTENT_DIR / "voice"

SUPPORTED_LOCALES = ("fr", "en", "ar", "es", "pt", "uk")
RTL_LOCALES = frozenset({"ar"})
# The directory's content is written in French first: every other locale falls back to it.
ORIGINAL_LOCALE = "fr"

SmsProvider = Literal["auto", "outbox", "twilio"]
_EXTENSION_KEY = "guichet.settings"
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_RATE = re.compile(r"(?:\d{1,3}%|x-slow|slow|medium|fast|x-fast)")
_CLOCK = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")

T = TypeVar("T")
Converter = Callable[[str, Any], T]


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message says which and how to fix it."""


class SayVoice(NamedTuple):
    """A text-to-speech voice: Twilio's ``<Say language>`` and ``<Say voice>``."""

    language: str  # "fr-FR", "arb"
    name: str  # "Polly.Lea-Neural"


def _refused(name: str, value: Any, expected: str) -> ConfigError:
    shown = " (value not shown)" if name in SECRET_NAMES else f"={value!r}"
    return ConfigError(f"{name}{shown}: expected {expected}")


def normalize_database_url(url: str) -> str:
    """Make the URLs hosting platforms hand out run on psycopg 3.

    Heroku-style ``postgres://`` and plain ``postgresql://`` would otherwise pick psycopg2,
    which we do not ship.
    """
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _text(name: str, value: Any) -> str:
    return str(value)


def _boolean(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word not in _TRUE | _FALSE:
        raise _refused(name, value, "1, true, yes, on or 0, false, no, off")
    return word in _TRUE


def _integer(name: str, value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _refused(name, value, "a whole number") from None


def _number(name: str, value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise _refused(name, value, "a number, e.g. 1.5") from None


def _share(name: str, value: Any) -> float:
    share = _number(name, value)
    if not 0 <= share <= 1:
        raise _refused(name, value, "a share between 0 and 1, e.g. 0.25")
    return share


def _seconds_list(name: str, value: Any) -> tuple[int, ...]:
    parts = value.split(",") if isinstance(value, str) else value
    try:
        return tuple(int(part) for part in parts)
    except (TypeError, ValueError):
        raise _refused(name, value, "seconds separated by commas, e.g. 10,30,120") from None


def _sms_provider(name: str, value: Any) -> SmsProvider:
    choices = get_args(SmsProvider)
    if value not in choices:
        raise _refused(name, value, f"one of {', '.join(choices)}")
    return cast(SmsProvider, value)


def _locales(name: str, value: Any) -> tuple[str, ...]:
    parts = value.split(",") if isinstance(value, str) else value
    locales = tuple(part.strip() for part in parts if part.strip())
    unknown = [code for code in locales if code not in SUPPORTED_LOCALES]
    if unknown or not locales:
        raise _refused(name, value, f"locales among {', '.join(SUPPORTED_LOCALES)}")
    return locales


def _timezone(name: str, value: Any) -> str:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise _refused(name, value, "a time zone of the IANA database, e.g. Europe/Paris") from None
    return str(value)


def _log_level(name: str, value: Any) -> str:
    level = str(value).strip().upper()
    if level not in _LOG_LEVELS:
        raise _refused(name, value, f"one of {', '.join(_LOG_LEVELS)}")
    return level


def _path(name: str, value: Any) -> Path:
    return Path(value)


def _database_url(name: str, value: Any) -> str:
    url = normalize_database_url(str(value))
    try:
        backend = make_url(url).get_backend_name()
    except ArgumentError:  # its message quotes the URL
        backend = None
    if backend not in ("sqlite", "postgresql"):
        raise _refused(name, value, "sqlite:///path or postgresql://user:password@host/db")
    return url


def _redis_url(name: str, value: Any) -> str:
    if not str(value).startswith(("redis://", "rediss://", "unix://")):
        raise _refused(name, value, "redis://[:password@]host:port/db, rediss://… or unix://…")
    return str(value)


def _pairs(name: str, raw: str) -> dict[str, str]:
    """ "a=x,b=y" → {"a": "x", "b": "y"}."""
    pairs = {}
    for part in filter(None, (chunk.strip() for chunk in raw.split(","))):
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ConfigError(f"{name}: {part!r} is not of the form locale=value")
        pairs[key.strip()] = value.strip()
    return pairs


def _say_voices(name: str, value: Any) -> dict[str, SayVoice]:
    voices = {}
    for locale, spec in _pairs(name, str(value)).items():
        language, sep, voice = spec.partition(":")
        if not sep or not language or not voice:
            raise ConfigError(f"{name}: {locale}={spec!r}: expected language:voice")
        voices[locale] = SayVoice(language, voice)
    return voices


def _speech_rates(name: str, value: Any) -> dict[str, str]:
    rates = _pairs(name, str(value))
    for rate in rates.values():
        if not _RATE.fullmatch(rate):
            raise ConfigError(f"{name}: {rate!r}: a percentage (90%) or x-slow…x-fast")
    return rates


def _locale_table(name: str, value: Any) -> dict[str, str]:
    return _pairs(name, str(value))


def parse_hours(raw: str, name: str = "HELPLINE_HOURS") -> tuple[WeeklyRange, ...]:
    """ "MO-FR 09:00-12:30,13:30-17:00; SA 09:00-12:00" → weekly ranges (Monday is 0).

    Days are two-letter English abbreviations, alone, as a range ("MO-FR") or listed
    ("MO,WE"); an empty string means never.
    """
    ranges: list[WeeklyRange] = []
    for entry in filter(None, (chunk.strip() for chunk in raw.split(";"))):
        days_text, _, times_text = entry.partition(" ")
        days = _parse_days(days_text, entry, name)
        for span in filter(None, (chunk.strip() for chunk in times_text.split(","))):
            opens, _, closes = span.partition("-")
            start, end = _parse_clock(opens, entry, name), _parse_clock(closes, entry, name)
            ranges.extend(WeeklyRange(day, start, end) for day in days)
        if not times_text.strip():
            raise ConfigError(f"{name}: {entry!r} has no times, e.g. MO-FR 09:00-17:00")
    return tuple(ranges)


def _parse_days(text: str, entry: str, name: str) -> list[int]:
    days: list[int] = []
    for part in text.upper().split(","):
        first, _, last = part.partition("-")
        if first not in WEEKDAY_CODES or (last and last not in WEEKDAY_CODES):
            raise ConfigError(f"{name}: {entry!r}: days are {', '.join(WEEKDAY_CODES)}")
        start, end = WEEKDAY_CODES.index(first), WEEKDAY_CODES.index(last or first)
        days.extend(range(start, end + 1) if start <= end else [*range(start, 7), *range(end + 1)])
    return days


def _parse_clock(text: str, entry: str, name: str) -> time:
    match = _CLOCK.fullmatch(text.strip())
    if match is None:
        raise ConfigError(f"{name}: {entry!r}: times are HH:MM-HH:MM")
    return time(int(match[1]), int(match[2]))


def _weekly_hours(name: str, value: Any) -> tuple[WeeklyRange, ...]:
    return parse_hours(str(value), name)


def setting(default: Any, convert: Converter[T], secret: bool = False) -> T:
    """A field of :class:`Settings`: its default in the environment's form (None: unset, or
    derived by :func:`load_settings`) and the converter that checks it. A ``secret`` (or a URL
    that may hold a password) is left out of the object's repr and of error messages.

    The default goes through the converter like any value, so the field itself has none:
    only :func:`load_settings` (and ``dataclasses.replace``) builds a :class:`Settings`.
    """
    metadata = {"default": default, "convert": convert, "secret": secret}
    return cast(T, field(repr=not secret, metadata=metadata))


@dataclass(frozen=True, slots=True)
class Settings:
    """Every Guichet setting, typed: field ``retention_days`` is the variable ``RETENTION_DAYS``.

    Built once per app by :func:`load_settings` and read with :func:`settings`; frozen, so that
    no request changes what the next one sees.
    """

    # Default: the SQLite file instance/guichet.sqlite3; postgres:// and postgresql:// run on
    # psycopg 3.
    database_url: str = setting(None, _database_url, secret=True)
    # Seconds: to open a database connection; for one statement to run, waiting for locks
    # included (SQLite: for its write lock); to wait for a free connection of the pool. Short,
    # so that a database that is down or stuck costs a webhook a fast 503, not Twilio's 15 s.
    database_connect_timeout: float = setting(3.0, _number)
    database_statement_timeout: float = setting(5.0, _number)
    database_pool_timeout: float = setting(3.0, _number)
    # Seconds /healthz waits for its checks before it answers that one of them did not answer.
    health_check_timeout: float = setting(1.5, _number)
    # Seconds a 503 (database unavailable) asks clients to wait before trying again.
    retry_after_seconds: int = setting(30, _integer)
    # Unset: jobs run in the process that queues them.
    redis_url: str | None = setting(None, _redis_url, secret=True)
    # Required in production (DEBUG or TESTING may go without); PHONE_HASH_KEY defaults to it.
    secret_key: str = setting(None, _text, secret=True)
    phone_hash_key: str = setting(None, _text, secret=True)
    twilio_account_sid: str | None = setting(None, _text)
    twilio_auth_token: str | None = setting(None, _text, secret=True)
    twilio_from_number: str | None = setting(None, _text)
    twilio_api_base_url: str | None = setting(None, _text)
    # "auto": Twilio when its three credentials are set, else the outbox.
    sms_provider: SmsProvider = setting("auto", _sms_provider)
    twilio_mps: float = setting(1.0, _number)
    daily_segment_cap: int = setting(2000, _integer)
    # The part of DAILY_SEGMENT_CAP that queued messages (voice hand-offs, alerts, confirmations)
    # may use, from 0 to 1; answers to residents' texts may use all of it, so they are never
    # starved by what callers ask for.
    queued_segment_share: float = setting(0.25, _share)
    # Messages one number is sent per hour, SMS answers and queued messages (a "#" hand-off)
    # together; then one notice by SMS and silence for an hour. 0: no limit.
    sms_rate_limit_per_hour: int = setting(30, _integer)
    # Requests one client address may make of the HSDS API a minute (never the webhooks').
    api_requests_per_minute: int = setting(300, _integer)
    # Text messages one voice call may send with "#" (each service once). 0: no limit.
    handoff_limit_per_call: int = setting(3, _integer)
    # /dev/phone, a page playing a phone against the SMS channel (on anyway with DEBUG or TESTING).
    dev_phone_page: bool = setting(False, _boolean)
    # Seconds between RQ's retries of a send that failed for a passing reason, one per retry.
    send_retry_intervals: tuple[int, ...] = setting("10,30,120,600,1800", _seconds_list)
    # The sweeper of unsent messages (guichet cron): how often it runs, and how long a send may
    # go without an outcome before it is checked with Twilio (a queued one: half that).
    sweep_interval_seconds: int = setting(120, _integer)
    send_stale_after_seconds: float = setting(120, _number)
    public_base_url: str | None = setting(None, _text)
    # Bytes and fields any request may send (Flask's own names; over them: a 413 page). The back
    # office's largest form is a few KB of a few hundred fields.
    max_content_length: int = setting(1024 * 1024, _integer)
    max_form_parts: int = setting(1000, _integer)
    # The same for Twilio's webhooks, checked before the signature: their forms are about 1 KB
    # of 20-40 fields; a 1600-character SMS of emoji is about 20 KB once percent-encoded.
    webhook_max_bytes: int = setting(32 * 1024, _integer)
    webhook_max_fields: int = setting(64, _integer)
    trusted_proxies: int = setting(0, _integer)
    helpline_number: str = setting("+33261910000", _text)
    # When a person answers HELPLINE_NUMBER: "MO-FR 09:00-12:30,13:30-17:00; SA 09:00-12:00"
    # (an empty override: never).
    helpline_hours: tuple[WeeklyRange, ...] = setting("MO-FR 09:00-17:00", _weekly_hours)
    # Voice menu, per locale: "locale=language:voice" pairs, the speech rate (SSML prosody, "*" for
    # every locale) and the speech-recognition language (a locale left out gets keypad only).
    voice_voices: Mapping[str, SayVoice] = setting(
        "fr=fr-FR:Polly.Lea-Neural,en=en-GB:Polly.Amy-Neural,ar=arb:Polly.Zeina,"
        "es=es-ES:Polly.Lucia-Neural,pt=pt-PT:Polly.Ines-Neural,uk=uk-UA:Google.uk-UA-Standard-A",
        _say_voices,
    )
    voice_rates: Mapping[str, str] = setting("*=90%", _speech_rates)
    voice_speech_languages: Mapping[str, str] = setting(
        "fr=fr-FR,en=en-GB,ar=ar-MA,es=es-ES,pt=pt-PT,uk=uk-UA", _locale_table
    )
    # Seconds of silence before a menu is said again.
    voice_gather_timeout: int = setting(8, _integer)
    voice_pause_seconds: int = setting(1, _integer)  # between the items of a menu
    voice_prompts_dir: Path = setting(PROMPTS_DIR, _path)  # recorded prompts
    default_locale: str = setting("fr", _text)
    locales: tuple[str, ...] = setting(SUPPORTED_LOCALES, _locales)
    timezone: str = setting("Europe/Paris", _timezone)
    city_name: str = setting("Val-de-Lisle", _text)
    # Guichet's own numbers, shown on the web site for residents who would rather text or call.
    sms_number: str = setting("+33639980000", _text)
    voice_number: str = setting("+33261910001", _text)
    # The country whose national phone number forms ("06 12 34 56 78") are recognised, and
    # blanked, in what residents write (reports, messages, searches) and in the logs.
    phone_region: str = setting("FR", _text)
    # The least severe log records written (one JSON line each on stderr): DEBUG, INFO, WARNING…
    log_level: str = setting("INFO", _log_level)
    retention_days: int = setting(30, _integer)
    conversation_ttl_minutes: int = setting(30, _integer)
    admin_idle_minutes: int = setting(480, _integer)
    # Login guessing is slowed per address, never by locking an account (gateway/admin/throttle):
    # wrong passwords for one account from one address before that address is blocked for it,
    login_max_failures: int = setting(5, _integer)
    # from one address for any accounts before it is blocked for those it never signed in to,
    login_max_failures_per_address: int = setting(20, _integer)
    # and how long these blocks last (the window in which wrong passwords are counted).
    login_lockout_minutes: int = setting(15, _integer)
    # Wrong passwords for one account from all addresses before new addresses wait between
    # tries, a wait doubling from 1 s up to LOGIN_ACCOUNT_MAX_DELAY_SECONDS (a delay, no lock).
    login_account_slowdown_failures: int = setting(20, _integer)
    login_account_max_delay_seconds: int = setting(60, _integer)
    testing: bool = setting(False, _boolean)
    debug: bool = setting(False, _boolean)

    @property
    def production(self) -> bool:
        return not (self.debug or self.testing)


# The environment's names of the settings: overrides under any other name are Flask's.
SETTING_NAMES = frozenset(spec.name.upper() for spec in fields(Settings))
SECRET_NAMES = frozenset(spec.name.upper() for spec in fields(Settings) if spec.metadata["secret"])


def load_settings(
    environ: Mapping[str, str], overrides: Mapping[str, Any] | None, instance_path: str
) -> Settings:
    """The app's settings: defaults, then the environment, then ``overrides``.

    An empty variable is unset; an override of None is too, whatever the environment says.
    """
    values: dict[str, Any] = {}
    for spec in fields(Settings):
        name = spec.name.upper()
        raw = spec.metadata["default"]
        if environ.get(name):
            raw = environ[name]
        if overrides and name in overrides:
            raw = spec.metadata["default"] if overrides[name] is None else overrides[name]
        values[spec.name] = None if raw is None else spec.metadata["convert"](name, raw)

    if values["database_url"] is None:
        values["database_url"] = f"sqlite:///{Path(instance_path) / 'guichet.sqlite3'}"
    if values["default_locale"] not in values["locales"]:
        raise ConfigError(
            f"DEFAULT_LOCALE={values['default_locale']} is not in LOCALES "
            f"({', '.join(values['locales'])})"
        )
    missing = sorted({*values["locales"], ORIGINAL_LOCALE} - set(values["voice_voices"]))
    if missing:
        raise ConfigError(f"VOICE_VOICES: no voice for {', '.join(missing)}")
    if not values["secret_key"]:
        if not (values["debug"] or values["testing"]):
            raise ConfigError(
                "SECRET_KEY is not set. In production Guichet needs a long random SECRET_KEY "
                "(python -c 'import secrets; print(secrets.token_urlsafe(48))'), "
                "or DEBUG=1 on a developer's machine."
            )
        values["secret_key"] = "dev-only-not-secret"
    if not values["phone_hash_key"]:
        values["phone_hash_key"] = values["secret_key"]
    return Settings(**values)


def flask_config(settings: Settings) -> dict[str, Any]:
    """The keys Flask, Flask-Babel and Flask-WTF read from ``app.config`` themselves."""
    return {
        "SECRET_KEY": settings.secret_key,
        "MAX_CONTENT_LENGTH": settings.max_content_length,
        "MAX_FORM_PARTS": settings.max_form_parts,
        "TESTING": settings.testing,
        "DEBUG": settings.debug,
        "BABEL_DEFAULT_LOCALE": settings.default_locale,
        "BABEL_DEFAULT_TIMEZONE": settings.timezone,
    }


def init_app(app: Flask, overrides: Mapping[str, Any] | None) -> None:
    """Read the settings (a bad one stops the start), keep them on ``app`` and give Flask its
    keys, with the overrides that are not Guichet settings (``SERVER_NAME``…)."""
    loaded = load_settings(environment(), overrides, app.instance_path)
    app.extensions[_EXTENSION_KEY] = loaded
    app.config.update(flask_config(loaded))
    app.config.update({k: v for k, v in (overrides or {}).items() if k not in SETTING_NAMES})


def settings(app: Flask | None = None) -> Settings:
    """The settings of ``app``, by default the current one."""
    return (app or current_app).extensions[_EXTENSION_KEY]  # type: ignore[no-any-return]


def replace_settings(app: Flask, new: Settings) -> None:
    """Put ``new`` in place of ``app``'s settings (tests, through ``change_settings``)."""
    app.extensions[_EXTENSION_KEY] = new


def environment() -> Mapping[str, str]:
    """The process environment; the single place that reads it."""
    return os.environ
