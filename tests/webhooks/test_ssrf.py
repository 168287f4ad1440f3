"""Webhooks go to public addresses only: refused at creation (422 at /url) and again at delivery,
on what the name resolves to then; the worker connects to the address it checked."""

from __future__ import annotations

import ipaddress

import pytest
from sqlalchemy import select

from platform_api.webhooks import urls
from platform_api.webhooks.models import WebhookAttempt, WebhookDelivery
from tests.factories.matching import token_for
from tests.factories.members import MemberFactory
from tests.factories.technologies import technology_body

from .conftest import WEBHOOK_SCOPES, create_endpoint

PUBLIC = "93.184.216.34"


@pytest.fixture
def dns(monkeypatch):
    """Names resolve as the test says (anything else does not resolve)."""
    table: dict[str, list[str]] = {}

    def resolve(host, port):
        if host not in table:
            raise OSError("no such name")
        return list(table[host])

    monkeypatch.setattr(urls, "resolver", resolve)
    return table


def _refused(client, headers, url):
    resp = client.post("/v1/webhook-endpoints", json={"url": url, "event_types": ["*"]}, headers=headers)
    assert resp.status_code == 422, (url, resp.json)
    assert [e["pointer"] for e in resp.json["errors"]] == ["/url"]
    return resp.json["errors"][0]["detail"]


@pytest.mark.parametrize("url, why", [
    ("https://10.0.0.1/hooks", "private"),
    ("https://169.254.169.254/latest/meta-data", "link-local"),
    ("https://100.64.0.9/x", "carrier-grade NAT"),
    ("https://224.0.0.1/x", "multicast"),
    ("https://0.0.0.0/x", "reserved"),
    ("https://[fd00::1]/x", "private"),
    ("https://[::ffff:10.1.2.3]/x", "private"),
    ("http://93.184.216.34/x", "https"),
])
def test_private_and_special_addresses_are_refused_at_creation(client, url, why):
    h = token_for(MemberFactory(), scopes=WEBHOOK_SCOPES)
    assert why in _refused(client, h, url)


def test_a_name_resolving_to_a_private_address_is_refused(client, dns):
    h = token_for(MemberFactory(), scopes=WEBHOOK_SCOPES)
    dns["intranet.example.org"] = [PUBLIC, "10.20.30.40"]  # every address counts
    assert "private" in _refused(client, h, "https://intranet.example.org/hooks")
    assert "does not resolve" in _refused(client, h, "https://nowhere.example.org/hooks")


def test_loopback_is_refused_in_production(make_app):
    prod = make_app(env="production", issuer="https://platform.example.org")
    with prod.app_context():
        from tests.factories.oauth import ClientFactory, make_token

        member = MemberFactory()
        _t, value = make_token(ClientFactory(member=member), scopes=WEBHOOK_SCOPES)
    c = prod.test_client()
    h = {"Authorization": f"Bearer {value}"}
    for url in ("https://[::1]/hooks", "https://127.0.0.1:8443/hooks", "http://127.0.0.1:9000/hooks"):
        resp = c.post("/v1/webhook-endpoints", json={"url": url, "event_types": ["*"]}, headers=h)
        assert resp.status_code == 422 and resp.json["errors"][0]["pointer"] == "/url", (url, resp.json)


def test_an_operator_may_allow_a_private_range(make_app):
    allowed = make_app(webhook_allow_networks="10.20.0.0/16, fd00:1::/64")
    settings = allowed.config["PLATFORM"]
    assert settings.webhook_allow_networks == (ipaddress.ip_network("10.20.0.0/16"), ipaddress.ip_network("fd00:1::/64"))
    from tests.factories.oauth import ClientFactory, make_token

    member = MemberFactory()
    _t, value = make_token(ClientFactory(member=member), scopes=WEBHOOK_SCOPES)
    h = {"Authorization": f"Bearer {value}"}
    c = allowed.test_client()
    assert c.post("/v1/webhook-endpoints", json={"url": "https://10.20.1.2/h", "event_types": ["*"]},
                  headers=h).status_code == 201
    assert c.post("/v1/webhook-endpoints", json={"url": "https://10.21.1.2/h", "event_types": ["*"]},
                  headers=h).status_code == 422


def test_a_name_that_resolves_elsewhere_at_delivery_time_is_refused_then(client, db_session, dns, worker, receiver):
    member = MemberFactory()
    h = token_for(member, scopes=WEBHOOK_SCOPES + ["technologies:write"])
    dns["hooks.example.org"] = [PUBLIC]
    ep = create_endpoint(client, h, "https://hooks.example.org/platform", ["technology.*"])
    dns["hooks.example.org"] = ["10.0.0.7"]  # DNS rebinding
    assert client.post("/v1/technologies", json=technology_body(), headers=h).status_code == 201
    worker.drain()
    delivery = db_session.scalars(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == ep["id"])).one()
    assert delivery.status == "pending" and delivery.attempt_count == 1
    assert delivery.last_error.startswith("refused:") and "private" in delivery.last_error
    assert delivery.last_response_status is None
    attempt = db_session.scalars(select(WebhookAttempt)).one()
    assert attempt.error == delivery.last_error and receiver.requests == []
    shown = client.get(f"/v1/webhook-endpoints/{ep['id']}/deliveries", headers=h).json["data"][0]
    assert shown["error"].startswith("refused:") and shown["response_status"] is None


def test_the_worker_connects_to_the_checked_address_with_the_names_host_header(client, dns, worker, receiver):
    member = MemberFactory()
    h = token_for(member, scopes=WEBHOOK_SCOPES + ["technologies:write"])
    dns["receiver.test"] = ["127.0.0.1"]
    create_endpoint(client, h, f"http://receiver.test:{receiver.port}/in?x=1", ["technology.*"])
    assert client.post("/v1/technologies", json=technology_body(), headers=h).status_code == 201
    worker.drain()
    [req] = receiver.requests
    assert req["headers"]["Host"] == f"receiver.test:{receiver.port}" and req["path"] == "/in?x=1"


def test_redirects_are_not_followed(client, db_session, worker, receiver):
    member = MemberFactory()
    h = token_for(member, scopes=WEBHOOK_SCOPES + ["technologies:write"])
    receiver.answers = [307]
    ep = create_endpoint(client, h, receiver.url, ["technology.*"])
    client.post("/v1/technologies", json=technology_body(), headers=h)
    worker.drain()
    d = db_session.scalars(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == ep["id"])).one()
    assert len(receiver.requests) == 1 and d.status == "pending" and d.last_response_status == 307


def test_address_rules():
    refuse = lambda a, **kw: urls.address_refusal(ipaddress.ip_address(a), allow_loopback=False, **kw)  # noqa: E731
    assert refuse("8.8.8.8") is None and refuse("2001:4860:4860::8888") is None
    for address in ("127.0.0.1", "::1", "10.0.0.1", "172.16.0.1", "192.168.1.1", "169.254.169.254", "fe80::1",
                    "100.64.0.1", "224.0.0.251", "ff02::1", "0.0.0.0", "::", "240.0.0.1", "64:ff9b::a00:1",
                    "::ffff:127.0.0.1", "fd00:ec2::254"):
        assert refuse(address) is not None, address
    assert urls.address_refusal(ipaddress.ip_address("::1"), allow_loopback=True) is None
    assert refuse("10.1.2.3", allow=(ipaddress.ip_network("10.0.0.0/8"),)) is None


def test_the_allow_list_setting_is_checked():
    from platform_api.config import ConfigError, load_settings

    base = {"secret_key": "k" * 40, "env": "test"}
    got = load_settings(base, environ={"PLATFORM_WEBHOOK_ALLOW_NETWORKS": "10.1.0.0/16,  192.168.7.0/24 "})
    assert [str(n) for n in got.webhook_allow_networks] == ["10.1.0.0/16", "192.168.7.0/24"]
    assert load_settings(base, environ={"PLATFORM_WEBHOOK_ALLOW_NETWORKS": ""}).webhook_allow_networks == ()
    with pytest.raises(ConfigError, match="PLATFORM_WEBHOOK_ALLOW_NETWORKS"):
        load_settings(base, environ={"PLATFORM_WEBHOOK_ALLOW_NETWORKS": "10.1.0.0/16,intranet"})
