import subprocess
import sys

import pytest

from gateway import create_app
from gateway.config import ConfigError, load_settings, normalize_database_url


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


def test_production_without_secret_key_refuses_to_start(tmp_path) -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_settings({}, None, str(tmp_path))


def test_debug_and_testing_may_start_without_secret_key(tmp_path) -> None:
    assert load_settings({"DEBUG": "1"}, None, str(tmp_path))["SECRET_KEY"]
    assert load_settings({}, {"TESTING": True}, str(tmp_path))["SECRET_KEY"]


def test_environment_is_read_and_overrides_win(tmp_path) -> None:
    environ = {"SECRET_KEY": "s", "DEFAULT_LOCALE": "en", "LOCALES": "fr,en", "RETENTION_DAYS": "7"}
    settings = load_settings(environ, {"RETENTION_DAYS": 3}, str(tmp_path))
    assert settings["DEFAULT_LOCALE"] == "en"
    assert settings["LOCALES"] == ("fr", "en")
    assert settings["RETENTION_DAYS"] == 3
    assert settings["DATABASE_URL"] == f"sqlite:///{tmp_path}/guichet.sqlite3"
    assert settings["REDIS_URL"] is None


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"SECRET_KEY": "s", "LOCALES": "fr,xx"}, "LOCALES"),
        ({"SECRET_KEY": "s", "LOCALES": "fr,en", "DEFAULT_LOCALE": "ar"}, "DEFAULT_LOCALE"),
    ],
)
def test_bad_locale_settings_are_named(tmp_path, environ, message) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(environ, None, str(tmp_path))


def test_create_app_takes_overrides(tmp_path) -> None:
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path}/a.db"})
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path}/a.db"
    assert app.config["TIMEZONE"] == "Europe/Paris"


def test_importing_the_packages_builds_no_app_and_reads_no_settings() -> None:
    # With no SECRET_KEY, building an app would fail: importing must not build one.
    code = "import gateway, gateway.models, gateway.cli, gateway.jobs, gateway.directory.queries"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={"PATH": ""}
    )
    assert result.returncode == 0, result.stderr
