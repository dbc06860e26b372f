import dataclasses
import subprocess
import sys
import traceback
from datetime import time

import pytest

from gateway import create_app
from gateway.config import (
    PROMPTS_DIR,
    ConfigError,
    SayVoice,
    load_settings,
    normalize_database_url,
    settings,
)
from gateway.directory.hours import WeeklyRange


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@db:5432/guichet", "postgresql+psycopg://u:p@db:5432/guichet"),
        ("postgresql://u@db/guichet", "postgresql+psycopg://u@db/guichet"),
        ("postgresql+psycopg://u@db/g", "postgresql+psycopg://u@db/g"),
        ("sqlite:////tmp/x.sqlite3", "sqlite:////tmp/x.sqlite3"),
    ],
)
def test_hosting_platform_database_urls_run_on_psycopg3(given: str, expected: str) -> None:
    assert normalize_database_url(given) == expected
    assert (
        load_settings({"DATABASE_URL": given}, {"TESTING": True}, "/tmp").database_url == expected
    )


def test_production_without_secret_key_refuses_to_start(tmp_path) -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_settings({}, None, str(tmp_path))


def test_debug_and_testing_may_start_without_secret_key(tmp_path) -> None:
    assert load_settings({"DEBUG": "1"}, None, str(tmp_path)).secret_key
    assert load_settings({}, {"TESTING": True}, str(tmp_path)).secret_key


def test_defaults_are_typed_and_derived(tmp_path) -> None:
    defaults = load_settings({"SECRET_KEY": "s"}, None, str(tmp_path))
    assert defaults.database_url == f"sqlite:///{tmp_path}/guichet.sqlite3"
    assert defaults.redis_url is None
    assert defaults.phone_hash_key == "s"  # PHONE_HASH_KEY defaults to SECRET_KEY
    assert defaults.production and not defaults.dev_phone_page
    assert defaults.locales == ("fr", "en", "ar", "es", "pt", "uk")
    assert defaults.send_retry_intervals == (10, 30, 120, 600, 1800)
    assert defaults.queued_segment_share == 0.25 and defaults.retention_days == 30
    assert defaults.helpline_hours == tuple(WeeklyRange(d, time(9), time(17)) for d in range(5))
    assert defaults.voice_voices["fr"] == SayVoice("fr-FR", "Polly.Lea-Neural")
    assert defaults.voice_rates == {"*": "90%"}
    assert defaults.voice_speech_languages["ar"] == "ar-MA"
    assert defaults.voice_prompts_dir == PROMPTS_DIR


def test_environment_is_read_and_overrides_win(tmp_path) -> None:
    environ = {
        "SECRET_KEY": "s",
        "DEFAULT_LOCALE": "en",
        "LOCALES": "fr,en",
        "RETENTION_DAYS": "7",
        "DEV_PHONE_PAGE": "yes",
        "SEND_RETRY_INTERVALS": "5, 50",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "CITY_NAME": "",  # empty: unset
    }
    loaded = load_settings(environ, {"RETENTION_DAYS": 3}, str(tmp_path))
    assert loaded.default_locale == "en"
    assert loaded.locales == ("fr", "en")
    assert loaded.retention_days == 3
    assert loaded.dev_phone_page is True
    assert loaded.send_retry_intervals == (5, 50)
    assert loaded.redis_url == "redis://127.0.0.1:6379/0"
    assert loaded.city_name == "Val-de-Lisle"
    # An override of None unsets, whatever the shell says: tests never inherit its Redis.
    assert load_settings(environ, {"REDIS_URL": None}, str(tmp_path)).redis_url is None


def test_an_empty_override_is_a_value(tmp_path) -> None:
    loaded = load_settings(
        {"SECRET_KEY": "s", "HELPLINE_HOURS": "MO 09:00-10:00"},
        {"HELPLINE_HOURS": "", "VOICE_SPEECH_LANGUAGES": ""},
        str(tmp_path),
    )
    assert loaded.helpline_hours == ()  # never staffed
    assert loaded.voice_speech_languages == {}  # keypad only


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DEBUG", "ture", "DEBUG='ture': expected 1, true, yes, on or 0, false, no, off"),
        ("RETENTION_DAYS", "thirty", "RETENTION_DAYS='thirty': expected a whole number"),
        ("TWILIO_MPS", "fast", "TWILIO_MPS='fast': expected a number"),
        ("QUEUED_SEGMENT_SHARE", "1.5", "QUEUED_SEGMENT_SHARE='1.5': expected a share between 0"),
        ("LOCALES", "fr,xx", "LOCALES='fr,xx': expected locales among fr, en"),
        ("DEFAULT_LOCALE", "ar", "DEFAULT_LOCALE=ar is not in LOCALES (fr, en)"),
        ("SEND_RETRY_INTERVALS", "10,30s", "SEND_RETRY_INTERVALS='10,30s': expected seconds"),
        ("SMS_PROVIDER", "carrier-pigeon", "SMS_PROVIDER='carrier-pigeon': expected one of auto"),
        ("TIMEZONE", "Mars/Olympus", "TIMEZONE='Mars/Olympus': expected a time zone"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL='LOUD': expected one of DEBUG, INFO"),
        ("HELPLINE_HOURS", "weekdays", "HELPLINE_HOURS: 'weekdays': days are MO, TU"),
        ("VOICE_VOICES", "fr=Polly.Lea", "VOICE_VOICES: fr='Polly.Lea': expected language:voice"),
        ("VOICE_VOICES", "en=en-GB:Polly.Amy", "VOICE_VOICES: no voice for fr"),
        ("VOICE_RATES", "*=fast-ish", "VOICE_RATES: 'fast-ish': a percentage"),
        ("VOICE_SPEECH_LANGUAGES", "fr", "VOICE_SPEECH_LANGUAGES: 'fr' is not of the form"),
    ],
)
def test_a_bad_value_is_refused_naming_the_variable(tmp_path, name, value, message) -> None:
    environ = {"SECRET_KEY": "s", "LOCALES": "fr,en", name: value}
    with pytest.raises(ConfigError) as refused:
        load_settings(environ, None, str(tmp_path))
    assert str(refused.value).startswith(message)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_URL", "mysql://root:hunter2@db/guichet"),
        ("DATABASE_URL", "postgres//guichet:hunter2@db/guichet"),
        ("REDIS_URL", "http://:hunter2@cache:6379/0"),
    ],
)
def test_a_refused_url_is_not_quoted_it_may_hold_a_password(tmp_path, name, value) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings({"SECRET_KEY": "s", name: value}, None, str(tmp_path))
    written = "".join(traceback.format_exception(refused.value))
    assert str(refused.value).startswith(f"{name} (value not shown): expected")
    assert "hunter2" not in written


def test_secrets_stay_out_of_the_settings_repr(tmp_path) -> None:
    environ = {
        "SECRET_KEY": "hunter2-secret",
        "PHONE_HASH_KEY": "hunter2-phone",
        "TWILIO_AUTH_TOKEN": "hunter2-token",
        "DATABASE_URL": "postgresql://guichet:hunter2@db/guichet",
        "REDIS_URL": "redis://:hunter2@cache:6379/0",
    }
    loaded = load_settings(environ, None, str(tmp_path))
    assert "hunter2" not in repr(loaded)
    assert "city_name='Val-de-Lisle'" in repr(loaded)


def test_create_app_keeps_the_settings_and_gives_flask_its_keys(tmp_path) -> None:
    app = create_app(
        {"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path}/a.db", "SERVER_NAME": "g.test"}
    )
    with app.app_context():
        assert settings().database_url == f"sqlite:///{tmp_path}/a.db"
        assert settings().timezone == "Europe/Paris"
    assert app.config["SERVER_NAME"] == "g.test"  # not a Guichet setting: Flask's
    assert app.config["SECRET_KEY"] == settings(app).secret_key
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024
    assert app.config["BABEL_DEFAULT_LOCALE"] == "fr"
    assert "RETENTION_DAYS" not in app.config  # one place to read it: settings()
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings(app).retention_days = 1  # type: ignore[misc]


def test_importing_the_packages_builds_no_app_and_reads_no_settings() -> None:
    # With no SECRET_KEY, building an app would fail: importing must not build one.
    code = "import gateway, gateway.models, gateway.cli, gateway.jobs, gateway.directory.queries"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={"PATH": ""}
    )
    assert result.returncode == 0, result.stderr
