"""Behind a proxy (PLATFORM_PROXY_HOPS): limits count per client address, not per proxy."""

from __future__ import annotations

import pytest

from platform_api.config import ConfigError, load_settings


def _anonymous_statuses(client, forwarded_for: str, n: int) -> list[int]:
    return [client.get("/v1/me", headers={"X-Forwarded-For": forwarded_for},
                       environ_base={"REMOTE_ADDR": "10.9.0.2"}).status_code for _ in range(n)]


def test_without_proxy_hops_forwarded_for_is_ignored(make_app):
    """Nobody can buy a fresh budget by inventing an X-Forwarded-For."""
    c = make_app(rate_limit="2/minute").test_client()
    assert _anonymous_statuses(c, "198.51.100.1", 2) == [401, 401]
    assert _anonymous_statuses(c, "198.51.100.2", 1) == [429]  # the same connection address


def test_with_one_proxy_each_client_address_counts_apart(make_app):
    c = make_app(rate_limit="2/minute", proxy_hops=1).test_client()
    assert _anonymous_statuses(c, "198.51.100.1", 3) == [401, 401, 429]
    assert _anonymous_statuses(c, "198.51.100.2", 2) == [401, 401]
    # Only the hop the proxy added counts: what a client put before it is not trusted.
    assert _anonymous_statuses(c, "203.0.113.9, 198.51.100.1", 1) == [429]


def test_the_scheme_comes_from_the_proxy_too(make_app):
    from werkzeug.test import EnvironBuilder

    app = make_app(proxy_hops=1)
    environ = EnvironBuilder("/healthz", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.1"},
                             environ_base={"REMOTE_ADDR": "10.9.0.2"}).get_environ()
    body = app.wsgi_app(environ, lambda status, headers: None)
    b"".join(body)
    assert environ["wsgi.url_scheme"] == "https" and environ["REMOTE_ADDR"] == "198.51.100.1"


@pytest.mark.parametrize("raw", ["-1", "6", "one"])
def test_a_bad_hop_count_is_refused(raw):
    with pytest.raises(ConfigError, match="PLATFORM_PROXY_HOPS"):
        load_settings({"secret_key": "s" * 40}, environ={"PLATFORM_PROXY_HOPS": raw, "PLATFORM_ENV": "test"})


def test_zero_hops_is_the_default():
    assert load_settings({"secret_key": "s" * 40}, environ={"PLATFORM_ENV": "test"}).proxy_hops == 0
    assert load_settings({"secret_key": "s" * 40}, environ={"PLATFORM_ENV": "test", "PLATFORM_PROXY_HOPS": "0"}).proxy_hops == 0
