"""Settings, read from the environment inside create_app (never at import time)."""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass, field, fields
from pathlib import Path

DEFAULT_SCOPES = (
    "members:read",
    "members:write",
    "technologies:read",
    "technologies:write",
    "investors:read",
    "investors:write",
    "matches:read",
    "matches:write",
    "referrals:read",
    "referrals:write",
)


# How much each factor of a suggestion counts (PLATFORM_MATCH_WEIGHTS); see matching/scoring.py.
MATCH_FACTORS = ("field", "trl", "price", "country", "deal_type", "text")
DEFAULT_MATCH_WEIGHTS = {"field": 0.25, "trl": 0.2, "price": 0.15, "country": 0.1, "deal_type": 0.15, "text": 0.15}


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the service refuses to start."""


@dataclass(frozen=True)
class Settings:
    env: str = "development"
    database_url: str = ""
    secret_key: str = ""
    issuer: str = "http://127.0.0.1:8000"
    access_token_ttl: int = 3600
    refresh_token_ttl: int = 30 * 24 * 3600
    authorization_code_ttl: int = 600
    rate_limit: str = "600/minute"
    login_rate_limit: str = "10/minute"
    redis_url: str | None = None
    home_country: str = "CN"
    instance_path: str = ""
    max_body_bytes: int = 1024 * 1024
    idempotency_ttl: int = 24 * 3600
    openapi_path: str = ""
    sql_echo: bool = False
    # Per-worker cache of bearer tokens and clients, invalidated by PostgreSQL notifications
    # (oauth/credential_cache.py); PostgreSQL only. Off: every request reads the database.
    credential_cache: bool = True
    # GET /metrics answers 404 unless this is set; then it wants `Authorization: Bearer <it>`.
    metrics_token: str | None = field(default=None, repr=False)
    match_weights: dict = field(default_factory=lambda: dict(DEFAULT_MATCH_WEIGHTS))
    extra: dict = field(default_factory=dict)

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


_ENV = {
    "env": "PLATFORM_ENV",
    "database_url": "DATABASE_URL",
    "secret_key": "SECRET_KEY",
    "issuer": "PLATFORM_ISSUER",
    "access_token_ttl": "PLATFORM_ACCESS_TOKEN_TTL",
    "refresh_token_ttl": "PLATFORM_REFRESH_TOKEN_TTL",
    "authorization_code_ttl": "PLATFORM_AUTHORIZATION_CODE_TTL",
    "rate_limit": "PLATFORM_RATE_LIMIT",
    "login_rate_limit": "PLATFORM_LOGIN_RATE_LIMIT",
    "redis_url": "PLATFORM_REDIS_URL",
    "home_country": "PLATFORM_HOME_COUNTRY",
    "instance_path": "PLATFORM_INSTANCE_PATH",
    "max_body_bytes": "PLATFORM_MAX_BODY_BYTES",
    "idempotency_ttl": "PLATFORM_IDEMPOTENCY_TTL",
    "openapi_path": "PLATFORM_OPENAPI_PATH",
    "sql_echo": "PLATFORM_SQL_ECHO",
    "credential_cache": "PLATFORM_CREDENTIAL_CACHE",
    "match_weights": "PLATFORM_MATCH_WEIGHTS",
    "metrics_token": "PLATFORM_METRICS_TOKEN",
}


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _coerce(name: str, raw, kind):
    if kind is int or kind == "int":
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise ConfigError(f"{_ENV.get(name, name)} must be a whole number, got {raw!r}") from None
        if value <= 0:
            raise ConfigError(f"{_ENV.get(name, name)} must be positive, got {value}")
        return value
    if kind is bool or kind == "bool":
        if isinstance(raw, bool):
            return raw
        word = str(raw).strip().lower()
        if word not in _TRUE | _FALSE:
            raise ConfigError(f"{_ENV.get(name, name)} must be on or off (1/0, true/false, yes/no), got {raw!r}")
        return word in _TRUE
    return raw


def _project_root() -> Path:
    return Path(__file__).resolve().parent.parent


def load_settings(overrides: dict | None = None, environ=None) -> Settings:
    """Build Settings from the environment, then apply explicit overrides (tests, tools)."""
    environ = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    values: dict = {}
    types = {f.name: f.type for f in fields(Settings)}
    for name, var in _ENV.items():
        if name in overrides:
            raw = overrides.pop(name)
        elif environ.get(var) not in (None, ""):
            raw = environ[var]
        else:
            continue
        values[name] = _coerce(name, raw, types[name])
    extra = overrides.pop("extra", {})
    if overrides:
        raise ConfigError(f"unknown settings: {', '.join(sorted(overrides))}")

    env = values.get("env", "development")
    if env not in {"development", "production", "test"}:
        raise ConfigError("PLATFORM_ENV must be development, production or test")
    instance = Path(values.get("instance_path") or _project_root() / "instance")
    values["instance_path"] = str(instance)

    if not values.get("database_url"):
        instance.mkdir(parents=True, exist_ok=True)
        values["database_url"] = f"sqlite:///{instance / 'platform.sqlite3'}"
    url = values["database_url"]
    if url.startswith(("postgres://", "postgresql://")) and "+psycopg" not in url.split("://")[0]:
        raise ConfigError(
            "DATABASE_URL for PostgreSQL must use the psycopg 3 driver: postgresql+psycopg://..."
        )

    if not values.get("secret_key"):
        if env == "production":
            raise ConfigError("SECRET_KEY is required when PLATFORM_ENV=production")
        values["secret_key"] = _development_secret(instance)
    elif len(values["secret_key"]) < 32:
        raise ConfigError("SECRET_KEY must be at least 32 characters")

    issuer = values.get("issuer", Settings.issuer).rstrip("/")
    if not issuer.startswith(("https://", "http://")):
        raise ConfigError("PLATFORM_ISSUER must be an http(s) URL")
    if env == "production" and not issuer.startswith("https://"):
        raise ConfigError("PLATFORM_ISSUER must be https in production")
    values["issuer"] = issuer

    country = values.get("home_country", "CN").upper()
    values["home_country"] = country

    for rate_name in ("rate_limit", "login_rate_limit"):
        if rate_name in values:
            from limits import parse_many

            try:
                parse_many(values[rate_name])
            except ValueError:
                raise ConfigError(
                    f"{_ENV[rate_name]} must look like '600/minute' or '10 per second'"
                ) from None

    token = values.get("metrics_token")
    if token is not None and not re.fullmatch(r"[\x21-\x7e]{32,}", token):
        raise ConfigError(
            "PLATFORM_METRICS_TOKEN must be at least 32 printable ASCII characters without spaces"
        )

    if "match_weights" in values:
        values["match_weights"] = parse_match_weights(values["match_weights"])

    if not values.get("openapi_path"):
        values["openapi_path"] = str(_project_root() / "openapi.yaml")
    return Settings(**values, extra=extra)


def parse_match_weights(raw) -> dict:
    """'field=0.3,text=0.2' (or a dict) -> every factor's weight; factors not named keep their default."""
    var = _ENV["match_weights"]
    if isinstance(raw, dict):
        items = list(raw.items())
    else:
        items = []
        for part in str(raw).split(","):
            if not part.strip():
                continue
            name, sep, value = part.partition("=")
            if not sep:
                raise ConfigError(f"{var} must look like 'field=0.25,trl=0.2,...', got {part.strip()!r}")
            items.append((name.strip(), value.strip()))
    weights = dict(DEFAULT_MATCH_WEIGHTS)
    for name, value in items:
        if name not in MATCH_FACTORS:
            raise ConfigError(f"{var}: unknown factor {name!r}; the factors are {', '.join(MATCH_FACTORS)}")
        try:
            weight = float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{var}: the weight of {name} must be a number, got {value!r}") from None
        if not 0 <= weight <= 1000 or weight != weight:
            raise ConfigError(f"{var}: the weight of {name} must be between 0 and 1000, got {value!r}")
        weights[name] = weight
    if sum(weights.values()) <= 0:
        raise ConfigError(f"{var}: at least one factor needs a weight above 0")
    return weights


def _development_secret(instance: Path) -> str:
    """A development SECRET_KEY, generated once and kept in the instance folder."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key
