"""Settings, read from the environment inside create_app (never at import time)."""

from __future__ import annotations

import os
import re
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
    "events:read",
    "webhooks:read",
    "webhooks:write",
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
    # The integrator guides (docs/*.md) that /docs/<name> renders; the Docker image copies them.
    docs_path: str = ""
    sql_echo: bool = False
    # Per-worker cache of bearer tokens and clients, invalidated by PostgreSQL notifications
    # (oauth/credential_cache.py); PostgreSQL only. Off: every request reads the database.
    credential_cache: bool = True
    # The client-credentials fast path (oauth/fastpath.py). Off: every token request goes through
    # Authlib and the Session, as other grants do (same answers, more CPU; a switch for operators).
    token_fast_path: bool = True
    # GET /metrics answers 404 unless this is set; then it wants `Authorization: Bearer <it>`.
    metrics_token: str | None = field(default=None, repr=False)
    match_weights: dict = field(default_factory=lambda: dict(DEFAULT_MATCH_WEIGHTS))
    # Networks webhook URLs may reach although they are not public (PLATFORM_WEBHOOK_ALLOW_NETWORKS,
    # comma-separated CIDR ranges): an operator's own receivers on a private network. See webhooks/urls.py.
    webhook_allow_networks: tuple = ()
    # How many reverse proxies in front of the app append to X-Forwarded-For (PLATFORM_PROXY_HOPS):
    # the caller's address, which per-address rate limits count, is then taken from that header.
    # 0 (the default): the connection's address, and X-Forwarded-For is ignored (anyone could send it).
    proxy_hops: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def loopback_webhooks(self) -> bool:
        """Whether webhook URLs may name this machine (http://127.0.0.1:...): development and test."""
        return self.env in ("development", "test")

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
    "docs_path": "PLATFORM_DOCS_PATH",
    "sql_echo": "PLATFORM_SQL_ECHO",
    "credential_cache": "PLATFORM_CREDENTIAL_CACHE",
    "token_fast_path": "PLATFORM_TOKEN_FAST_PATH",
    "match_weights": "PLATFORM_MATCH_WEIGHTS",
    "metrics_token": "PLATFORM_METRICS_TOKEN",
    "webhook_allow_networks": "PLATFORM_WEBHOOK_ALLOW_NETWORKS",
    "proxy_hops": "PLATFORM_PROXY_HOPS",
}


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _coerce(name: str, raw, kind):
    if name == "proxy_hops":
        return _hop_count(raw)
    if kind is int or kind == "int":
        return _whole_number(_ENV.get(name, name), raw)
    if kind is bool or kind == "bool":
        return _switch(_ENV.get(name, name), raw)
    return raw


def _whole_number(var: str, raw) -> int:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{var} must be a whole number, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{var} must be positive, got {value}")
    return value


def _hop_count(raw) -> int:
    var = _ENV["proxy_hops"]
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{var} must be a whole number of proxies (0 for none), got {raw!r}") from None
    if not 0 <= value <= 5:
        raise ConfigError(f"{var} must be between 0 and 5, got {value}")
    return value


def _switch(var: str, raw) -> bool:
    if isinstance(raw, bool):
        return raw
    word = str(raw).strip().lower()
    if word not in _TRUE | _FALSE:
        raise ConfigError(f"{var} must be on or off (1/0, true/false, yes/no), got {raw!r}")
    return word in _TRUE


def _project_root() -> Path:
    return Path(__file__).resolve().parent.parent


# What the instance folder holds: the default SQLite database and, in development, the secret
# key. `platform-admin init` (platform_api/instance.py) creates them; reading settings never does.
SECRET_FILE = "secret_key"
SQLITE_FILE = "platform.sqlite3"


def environment_home_country(environ=None) -> str:
    """The home country as load_settings() reads it, without the rest (no secret needed)."""
    environ = os.environ if environ is None else environ
    return environ.get(_ENV["home_country"], Settings.home_country).upper()


def load_settings(overrides: dict | None = None, environ=None) -> Settings:
    """Build Settings from the environment, then apply explicit overrides (tests, tools).

    Pure: it reads the environment and, in development without SECRET_KEY, an existing
    instance/secret_key; it never creates a folder or a file.
    """
    values, extra = _read(overrides, os.environ if environ is None else environ)
    env = _env(values.get("env", "development"))
    instance = _instance_path(values.get("instance_path"))
    values.update(
        env=env,
        instance_path=str(instance),
        database_url=_database_url(values.get("database_url"), instance),
        secret_key=_given_secret(values.get("secret_key"), env),
        issuer=_issuer(values.get("issuer", Settings.issuer), env),
        home_country=values.get("home_country", Settings.home_country).upper(),
        openapi_path=values.get("openapi_path") or str(_project_root() / "openapi.yaml"),
        docs_path=values.get("docs_path") or str(_project_root() / "docs"),
    )
    for rate_name in ("rate_limit", "login_rate_limit"):
        if rate_name in values:
            _check_rate(rate_name, values[rate_name])
    if values.get("metrics_token") is not None:
        _check_metrics_token(values["metrics_token"])
    if "match_weights" in values:
        values["match_weights"] = parse_match_weights(values["match_weights"])
    if "webhook_allow_networks" in values:
        values["webhook_allow_networks"] = parse_networks(values["webhook_allow_networks"])
    # Last, so that a malformed setting is reported before a missing `platform-admin init`.
    if not values["secret_key"]:
        values["secret_key"] = _development_secret(instance)
    return Settings(**values, extra=extra)


def _read(overrides: dict | None, environ) -> tuple[dict, dict]:
    """The settings given (overrides win over the environment), coerced; and `extra`."""
    overrides = dict(overrides or {})
    types = {f.name: f.type for f in fields(Settings)}
    values: dict = {}
    for name, var in _ENV.items():
        if name in overrides:
            values[name] = _coerce(name, overrides.pop(name), types[name])
        elif environ.get(var) not in (None, ""):
            values[name] = _coerce(name, environ[var], types[name])
    extra = overrides.pop("extra", {})
    if overrides:
        raise ConfigError(f"unknown settings: {', '.join(sorted(overrides))}")
    return values, extra


def _env(env: str) -> str:
    if env not in {"development", "production", "test"}:
        raise ConfigError("PLATFORM_ENV must be development, production or test")
    return env


def _instance_path(raw: str | None) -> Path:
    return Path(raw or _project_root() / "instance")


def _database_url(url: str | None, instance: Path) -> str:
    if not url:
        return f"sqlite:///{instance / SQLITE_FILE}"
    if url.startswith(("postgres://", "postgresql://")) and "+psycopg" not in url.split("://")[0]:
        raise ConfigError(
            "DATABASE_URL for PostgreSQL must use the psycopg 3 driver: postgresql+psycopg://..."
        )
    return url


def _given_secret(key: str | None, env: str) -> str:
    """SECRET_KEY as given, checked; "" when unset outside production (see _development_secret)."""
    if not key:
        if env == "production":
            raise ConfigError("SECRET_KEY is required when PLATFORM_ENV=production")
        return ""
    if len(key) < 32:
        raise ConfigError("SECRET_KEY must be at least 32 characters")
    return key


def _development_secret(instance: Path) -> str:
    """The development SECRET_KEY that `platform-admin init` keeps in the instance folder."""
    path = instance / SECRET_FILE
    try:
        key = path.read_text().strip()
    except FileNotFoundError:
        raise ConfigError(
            f"SECRET_KEY is not set and {path} does not exist: run `platform-admin init` once to "
            "create it (development), or set SECRET_KEY (32+ characters)"
        ) from None
    except OSError as exc:
        raise ConfigError(f"SECRET_KEY is not set and {path} cannot be read: {exc.strerror}") from None
    if len(key) < 32:
        raise ConfigError(f"{path} must hold at least 32 characters: delete it and run `platform-admin init`, "
                          "or set SECRET_KEY")
    return key


def _issuer(raw: str, env: str) -> str:
    issuer = raw.rstrip("/")
    if not issuer.startswith(("https://", "http://")):
        raise ConfigError("PLATFORM_ISSUER must be an http(s) URL")
    if env == "production" and not issuer.startswith("https://"):
        raise ConfigError("PLATFORM_ISSUER must be https in production")
    return issuer


def _check_rate(name: str, value: str) -> None:
    from limits import parse_many

    try:
        parse_many(value)
    except ValueError:
        raise ConfigError(f"{_ENV[name]} must look like '600/minute' or '10 per second'") from None


def _check_metrics_token(token: str) -> None:
    if not re.fullmatch(r"[\x21-\x7e]{32,}", token):
        raise ConfigError(
            "PLATFORM_METRICS_TOKEN must be at least 32 printable ASCII characters without spaces"
        )


def instance_plan(environ=None) -> tuple[Path, bool]:
    """For `platform-admin init`: the instance folder, and whether it should hold a development
    secret_key (PLATFORM_ENV is not production and SECRET_KEY is unset)."""
    environ = os.environ if environ is None else environ
    env = _env(environ.get("PLATFORM_ENV") or "development")
    wants_secret = env != "production" and not environ.get("SECRET_KEY")
    return _instance_path(environ.get("PLATFORM_INSTANCE_PATH")), wants_secret


def parse_match_weights(raw) -> dict:
    """'field=0.3,text=0.2' (or a dict) -> every factor's weight; factors not named keep their default."""
    var = _ENV["match_weights"]
    weights = dict(DEFAULT_MATCH_WEIGHTS)
    for name, value in _weight_items(var, raw):
        weights[name] = _weight(var, name, value)
    if sum(weights.values()) <= 0:
        raise ConfigError(f"{var}: at least one factor needs a weight above 0")
    return weights


def _weight_items(var: str, raw) -> list[tuple]:
    if isinstance(raw, dict):
        return list(raw.items())
    items = []
    for part in filter(str.strip, str(raw).split(",")):
        name, sep, value = part.partition("=")
        if not sep:
            raise ConfigError(f"{var} must look like 'field=0.25,trl=0.2,...', got {part.strip()!r}")
        items.append((name.strip(), value.strip()))
    return items


def _weight(var: str, name: str, value) -> float:
    if name not in MATCH_FACTORS:
        raise ConfigError(f"{var}: unknown factor {name!r}; the factors are {', '.join(MATCH_FACTORS)}")
    try:
        weight = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{var}: the weight of {name} must be a number, got {value!r}") from None
    if not 0 <= weight <= 1000 or weight != weight:
        raise ConfigError(f"{var}: the weight of {name} must be between 0 and 1000, got {value!r}")
    return weight


def parse_networks(raw) -> tuple:
    """'10.20.0.0/16, fd00:1::/64' (or a list) -> a tuple of ipaddress networks."""
    import ipaddress

    var = _ENV["webhook_allow_networks"]
    items = raw if isinstance(raw, (list, tuple)) else str(raw).split(",")
    networks = []
    for item in items:
        if isinstance(item, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
            networks.append(item)
            continue
        if not str(item).strip():
            continue
        try:
            networks.append(ipaddress.ip_network(str(item).strip(), strict=False))
        except ValueError:
            raise ConfigError(f"{var} must be comma-separated CIDR ranges (10.20.0.0/16), got {str(item).strip()!r}") from None
    return tuple(networks)
