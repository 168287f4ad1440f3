"""Prometheus metrics at GET /metrics: off (404) unless PLATFORM_METRICS_TOKEN is set, then only
with that token; counts requests by URL rule and status, token issues by grant, and errors.

The metric objects belong to the process (every app of the test run shares them), so each test
compares values before and after what it does.
"""

from __future__ import annotations

import base64

import pytest
from prometheus_client.parser import text_string_to_metric_families

from platform_api.config import ConfigError, load_settings
from tests.factories.members import MemberFactory
from tests.factories.oauth import ClientFactory, make_client, make_token

METRICS_TOKEN = "metrics-" + "m" * 40


def parse(text: str) -> dict:
    """{(sample name, frozenset of labels): value}"""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def metered(make_app):
    """An app with metrics on, and a function that scrapes it."""
    app = make_app(metrics_token=METRICS_TOKEN)
    http = app.test_client()

    def scrape() -> dict:
        resp = http.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert resp.status_code == 200, resp.data
        assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        assert resp.headers["Cache-Control"] == "no-store"
        return parse(resp.get_data(as_text=True))

    return app, http, scrape


def test_metrics_are_off_by_default_and_answer_like_an_unknown_url(client):
    resp = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    unknown = client.get("/no-such-page")
    assert resp.status_code == 404 == unknown.status_code
    assert resp.mimetype == "application/problem+json"
    body, other = resp.get_json(), unknown.get_json()
    assert body.pop("instance") == "/metrics" and other.pop("instance") == "/no-such-page"
    assert body == other
    assert "WWW-Authenticate" not in resp.headers


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong", f"Bearer {METRICS_TOKEN}x", f"Basic {METRICS_TOKEN}", METRICS_TOKEN, f"Bearer {METRICS_TOKEN[:-1]}"],
    ids=["none", "wrong", "longer", "basic", "no-scheme", "prefix"],
)
def test_a_missing_or_wrong_token_is_401(metered, authorization):
    _app, http, _scrape = metered
    headers = {"Authorization": authorization} if authorization else {}
    resp = http.get("/metrics", headers=headers)
    assert resp.status_code == 401
    assert resp.headers["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert resp.get_json()["type"] == "/problems/unauthorized"
    assert b"platform_http" not in resp.data


def test_an_oauth_access_token_does_not_open_metrics(metered):
    _app, http, _scrape = metered
    _t, value_ = make_token(ClientFactory())
    assert http.get("/metrics", headers={"Authorization": f"Bearer {value_}"}).status_code == 401


def test_requests_are_counted_by_url_rule_and_status(metered):
    _app, http, scrape = metered
    member = MemberFactory()
    _t, bearer = make_token(ClientFactory(member=member))
    before = scrape()
    assert http.get("/healthz").status_code == 200
    assert http.get("/healthz").status_code == 200
    assert http.get(f"/v1/members/{member.id}", headers={"Authorization": f"Bearer {bearer}"}).status_code == 200
    assert http.get(f"/v1/members/{member.id}-gone/x").status_code == 404
    after = scrape()

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("platform_http_requests_total", route="/healthz", method="GET", status="200") == 2
    assert delta("platform_http_requests_total", route="/v1/members/<member_id>", method="GET", status="200") == 1
    assert delta("platform_http_requests_total", route="<unmatched>", method="GET", status="404") == 1
    assert delta("platform_http_request_duration_seconds_count", route="/healthz", method="GET", status_class="2xx") == 2
    assert delta("platform_http_request_duration_seconds_sum", route="/healthz", method="GET", status_class="2xx") > 0
    # Only the URL rule is a label: no ID, path or token in any of them.
    text = "\n".join(str(sorted(labels)) for _name, labels in after)
    for secret in (member.id, bearer, METRICS_TOKEN, "-gone"):
        assert secret not in text


def test_token_issues_are_counted_by_grant_type(metered):
    _app, http, scrape = metered
    client, secret = make_client()
    basic = base64.b64encode(f"{client.client_id}:{secret}".encode()).decode()
    wrong = base64.b64encode(f"{client.client_id}:not-the-secret".encode()).decode()
    before = scrape()
    ok = http.post("/oauth/token", data={"grant_type": "client_credentials"}, headers={"Authorization": f"Basic {basic}"})
    assert ok.status_code == 200, ok.data
    refused = http.post("/oauth/token", data={"grant_type": "client_credentials"}, headers={"Authorization": f"Basic {wrong}"})
    assert refused.status_code == 401
    after = scrape()
    grant = dict(grant_type="client_credentials")
    assert value(after, "platform_oauth_tokens_issued_total", **grant) - value(before, "platform_oauth_tokens_issued_total", **grant) == 1
    assert ok.get_json()["access_token"] not in str(after)


def test_errors_are_counted_by_problem_type_and_5xx(metered, monkeypatch):
    app, http, scrape = metered

    def broken():
        raise RuntimeError("a bug")

    before = scrape()
    assert http.get("/v1/me").status_code == 401
    monkeypatch.setitem(app.view_functions, "members.me", broken)
    assert http.get("/v1/me").status_code == 500
    after = scrape()

    def delta(**labels):
        return value(after, "platform_http_errors_total", **labels) - value(before, "platform_http_errors_total", **labels)

    assert delta(route="/v1/me", status="401", type="unauthorized") == 1
    assert delta(route="/v1/me", status="500", type="internal-error") == 1
    assert value(after, "platform_http_requests_total", route="/v1/me", method="GET", status="500") >= 1


def test_the_metrics_token_setting(tmp_path):
    base = {"secret_key": "k" * 40, "instance_path": str(tmp_path)}
    assert load_settings({**base, "metrics_token": METRICS_TOKEN}).metrics_token == METRICS_TOKEN
    assert load_settings(base, environ={"PLATFORM_METRICS_TOKEN": METRICS_TOKEN}).metrics_token == METRICS_TOKEN
    assert load_settings(base, environ={}).metrics_token is None
    for bad in ("short", "x" * 31, "has space " + "x" * 40):
        with pytest.raises(ConfigError, match="PLATFORM_METRICS_TOKEN"):
            load_settings(base, environ={"PLATFORM_METRICS_TOKEN": bad})
    assert METRICS_TOKEN not in repr(load_settings({**base, "metrics_token": METRICS_TOKEN}))


def test_a_multiprocess_folder_that_does_not_exist_stops_the_app(settings_overrides, monkeypatch, tmp_path):
    from platform_api import create_app

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="PROMETHEUS_MULTIPROC_DIR"):
        create_app(dict(settings_overrides))
