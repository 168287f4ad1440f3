"""PLATFORM_PROXY_HOPS: behind a reverse proxy, per-address limits count callers, not the proxy."""

from __future__ import annotations

import pytest

from platform_api.config import ConfigError, load_settings
from tests.factories.oauth import make_public_client
from tests.oauth.helpers import authorize_url, csrf_of, pkce_pair


def _sign_in_attempts(app, forwarded_for: list[str]) -> list[int]:
    """One wrong sign-in per address, all through the same proxy connection address."""
    c = app.test_client()
    _verifier, challenge = pkce_pair()
    url = authorize_url(make_public_client().client_id, challenge)
    token = csrf_of(c.get(url).get_data(as_text=True))
    return [
        c.post(url, data={"email": f"person{i}@example.org", "password": "wrong-password", "csrf_token": token},
               headers={"X-Forwarded-For": address}).status_code
        for i, address in enumerate(forwarded_for)
    ]


def test_behind_a_proxy_each_caller_has_its_own_sign_in_budget(make_app):
    app = make_app(login_rate_limit="2/minute", proxy_hops=1)
    statuses = _sign_in_attempts(app, ["203.0.113.5", "203.0.113.5", "203.0.113.5", "198.51.100.7"])
    assert statuses == [200, 200, 429, 200]


def test_without_the_setting_x_forwarded_for_is_ignored(make_app):
    """Anyone may send the header: unless told there is a proxy, the connection's address counts."""
    app = make_app(login_rate_limit="2/minute")
    statuses = _sign_in_attempts(app, ["203.0.113.5", "198.51.100.7", "192.0.2.9"])
    assert statuses == [200, 200, 429]


def _anonymous_statuses(client, forwarded_for: str, n: int) -> list[int]:
    return [client.get("/v1/me", headers={"X-Forwarded-For": forwarded_for},
                       environ_base={"REMOTE_ADDR": "10.9.0.2"}).status_code for _ in range(n)]


def test_anonymous_api_requests_count_per_caller_behind_a_proxy_and_per_connection_otherwise(make_app):
    behind = make_app(rate_limit="2/minute", proxy_hops=1).test_client()
    assert _anonymous_statuses(behind, "198.51.100.1", 3) == [401, 401, 429]
    assert _anonymous_statuses(behind, "198.51.100.2", 2) == [401, 401]
    # Only the hop the proxy added counts: what a caller put before it is not trusted.
    assert _anonymous_statuses(behind, "203.0.113.9, 198.51.100.1", 1) == [429]
    direct = make_app(rate_limit="2/minute").test_client()
    assert _anonymous_statuses(direct, "192.0.2.1", 2) == [401, 401]
    assert _anonymous_statuses(direct, "192.0.2.2", 1) == [429]  # nobody buys a budget with a header


def test_the_setting_is_a_small_whole_number():
    assert load_settings({"secret_key": "k" * 40}, environ={"PLATFORM_PROXY_HOPS": "2"}).proxy_hops == 2
    assert load_settings({"secret_key": "k" * 40}, environ={"PLATFORM_PROXY_HOPS": "0"}).proxy_hops == 0
    assert load_settings({"secret_key": "k" * 40}, environ={}).proxy_hops == 0
    for raw in ("one", "-1", "6"):
        with pytest.raises(ConfigError, match="PLATFORM_PROXY_HOPS"):
            load_settings({"secret_key": "k" * 40}, environ={"PLATFORM_PROXY_HOPS": raw})
