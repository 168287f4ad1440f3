import os
import stat

import pytest

from platform_api import create_app
from platform_api.config import ConfigError, load_settings
from platform_api.instance import init_instance

KEY = "k" * 40


def test_defaults(tmp_path):
    s = load_settings({"instance_path": str(tmp_path)}, environ={"SECRET_KEY": KEY})
    assert s.database_url == f"sqlite:///{tmp_path / 'platform.sqlite3'}"
    assert s.issuer == "http://127.0.0.1:8000"
    assert s.access_token_ttl == 3600
    assert s.refresh_token_ttl == 30 * 24 * 3600
    assert s.home_country == "CN"


def test_environment_is_read(tmp_path):
    env = {
        "DATABASE_URL": "postgresql+psycopg://u@h/db",
        "PLATFORM_ISSUER": "https://api.example.org/",
        "PLATFORM_ACCESS_TOKEN_TTL": "120",
        "PLATFORM_RATE_LIMIT": "5/second",
        "PLATFORM_REDIS_URL": "redis://127.0.0.1:6379/0",
        "SECRET_KEY": "k" * 40,
    }
    s = load_settings({"instance_path": str(tmp_path)}, environ=env)
    assert s.database_url == env["DATABASE_URL"]
    assert s.issuer == "https://api.example.org"
    assert s.access_token_ttl == 120
    assert s.rate_limit == "5/second"
    assert s.redis_url == "redis://127.0.0.1:6379/0"


def test_reading_settings_creates_nothing_and_asks_for_init(tmp_path):
    instance = tmp_path / "instance"
    with pytest.raises(ConfigError, match=r"SECRET_KEY is not set .*run `platform-admin init`"):
        load_settings({"instance_path": str(instance)}, environ={})
    with_key = load_settings({"instance_path": str(instance)}, environ={"SECRET_KEY": KEY})
    assert with_key.database_url == f"sqlite:///{instance / 'platform.sqlite3'}"
    assert list(tmp_path.iterdir()) == []


def test_a_development_app_without_a_secret_names_platform_admin_init(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("PLATFORM_ENV", raising=False)
    with pytest.raises(ConfigError, match="platform-admin init"):
        create_app({"instance_path": str(tmp_path / "instance"), "database_url": "sqlite://"})
    assert list(tmp_path.iterdir()) == []


def test_init_instance_makes_the_folder_and_a_private_secret_once(tmp_path):
    instance = tmp_path / "a" / "instance"
    assert init_instance(instance) == [str(instance), str(instance / "secret_key")]
    assert stat.S_IMODE(os.stat(instance / "secret_key").st_mode) == 0o600
    key = load_settings({"instance_path": str(instance)}, environ={}).secret_key
    assert len(key) >= 32 and key == (instance / "secret_key").read_text()
    assert init_instance(instance) == []
    assert load_settings({"instance_path": str(instance)}, environ={}).secret_key == key


def test_init_instance_without_a_secret_makes_only_the_folder(tmp_path):
    assert init_instance(tmp_path / "instance", secret=False) == [str(tmp_path / "instance")]
    assert list((tmp_path / "instance").iterdir()) == []


def test_a_short_secret_file_is_refused(tmp_path):
    (tmp_path / "secret_key").write_text("short\n")
    with pytest.raises(ConfigError, match="at least 32 characters"):
        load_settings({"instance_path": str(tmp_path)}, environ={})


@pytest.mark.parametrize(
    "env, message",
    [
        ({"PLATFORM_ENV": "production"}, "SECRET_KEY is required"),
        ({"PLATFORM_ENV": "production", "SECRET_KEY": "k" * 40}, "https"),
        ({"SECRET_KEY": "short"}, "at least 32"),
        ({"DATABASE_URL": "postgres://u@h/db"}, "psycopg"),
        ({"PLATFORM_ACCESS_TOKEN_TTL": "soon"}, "whole number"),
        ({"PLATFORM_ACCESS_TOKEN_TTL": "-5"}, "positive"),
        ({"PLATFORM_RATE_LIMIT": "lots"}, "600/minute"),
        ({"PLATFORM_ISSUER": "ftp://x"}, "http"),
        ({"PLATFORM_ENV": "staging"}, "PLATFORM_ENV"),
        ({"PLATFORM_CREDENTIAL_CACHE": "of"}, "PLATFORM_CREDENTIAL_CACHE must be on or off"),
    ],
)
def test_bad_settings_refuse_to_start(tmp_path, env, message):
    # No secret and no instance/secret_key: the malformed setting is still what is reported.
    with pytest.raises(ConfigError, match=message):
        load_settings({"instance_path": str(tmp_path)}, environ=env)
    assert list(tmp_path.iterdir()) == []


def test_production_app_is_never_in_debug(tmp_path):
    os.environ.pop("DATABASE_URL", None) if False else None
    app = create_app({"instance_path": str(tmp_path), "env": "production", "secret_key": "k" * 40,
                      "issuer": "https://api.example.org", "database_url": f"sqlite:///{tmp_path}/x.sqlite3"})
    assert app.debug is False
    assert app.config["SESSION_COOKIE_SECURE"] is True


@pytest.mark.parametrize("raw, expected", [("on", True), ("1", True), ("TRUE", True), ("off", False), ("0", False),
                                           ("no", False)])
def test_switches_read_on_and_off(tmp_path, raw, expected):
    settings = load_settings({"instance_path": str(tmp_path)},
                             environ={"PLATFORM_CREDENTIAL_CACHE": raw, "SECRET_KEY": KEY})
    assert settings.credential_cache is expected
