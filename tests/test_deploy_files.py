"""compose.yaml and its nginx settings: no engine runs here, so their shape is checked instead."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from platform_api.config import _ENV

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = {"PLATFORM_BIND", "WEB_CONCURRENCY", "FORWARDED_ALLOW_IPS", "GUNICORN_TIMEOUT"}


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))


def test_migrations_run_once_before_the_app_and_the_worker():
    services = compose()["services"]
    assert services["migrate"]["command"] == ["platform-admin", "db", "upgrade"]
    assert services["migrate"]["restart"] == "no"
    for name in ("api", "worker"):
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}, name
    assert services["api"]["command"] == ["gunicorn", "-c", "/app/gunicorn.conf.py"]  # not the image's migrate-then-serve
    assert services["worker"]["command"] == ["platform-admin", "webhooks", "worker"]
    assert services["api"]["deploy"]["replicas"] >= 2
    assert services["nginx"]["depends_on"]["api"] == {"condition": "service_healthy"}
    assert list(services["nginx"]["ports"]) == ["${PLATFORM_PORT:-8080}:8080"]
    assert "ports" not in services["api"]  # only nginx is reachable from outside


def test_every_platform_service_gets_the_same_settings_and_secrets_only_from_the_environment():
    services = compose()["services"]
    envs = [services[name]["environment"] for name in ("migrate", "api", "worker")]
    assert envs[0] == envs[1] == envs[2]
    env = envs[0]
    assert set(env) <= set(_ENV.values()) | GUNICORN, set(env) - set(_ENV.values()) - GUNICORN
    assert env["SECRET_KEY"].startswith("${SECRET_KEY:?")  # required, never a default
    assert env["DATABASE_URL"].startswith("postgresql+psycopg://") and "@postgres:5432/" in env["DATABASE_URL"]
    assert env["PLATFORM_REDIS_URL"] == "redis://redis:6379/0"
    assert env["PLATFORM_PROXY_HOPS"] == "${PLATFORM_PROXY_HOPS:-1}"  # nginx's X-Forwarded-For names the caller


def test_nginx_spreads_requests_over_the_replicas():
    conf = (ROOT / "config" / "nginx.conf").read_text(encoding="utf-8")
    assert "resolver 127.0.0.11" in conf
    assert re.search(r"set \$api http://api:8000;\s+proxy_pass \$api;", conf)
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in conf
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in conf  # replaced, never appended to
    assert re.search(r"client_max_body_size 2m;", conf)  # the app's own 413 (1 MiB) is a problem document
