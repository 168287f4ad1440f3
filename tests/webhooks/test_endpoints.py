"""/v1/webhook-endpoints: the member's own, ETags, If-Match, the cap, the secret shown once."""

from __future__ import annotations

from sqlalchemy import select

from platform_api.api.idempotency import IdempotencyRecord
from platform_api.webhooks import secrets
from platform_api.webhooks.models import WebhookEndpoint
from platform_api.webhooks.services import MAX_ENDPOINTS
from tests.conftest import TEST_SECRET
from tests.factories.members import MemberFactory
from tests.factories.matching import token_for

from .conftest import WEBHOOK_SCOPES, create_endpoint

URL = "http://127.0.0.1:9/hooks"


def _member():
    m = MemberFactory()
    return m, token_for(m, scopes=WEBHOOK_SCOPES)


def test_create_shows_the_secret_once_and_get_list_patch_delete(client):
    _m, h = _member()
    created = create_endpoint(client, h, URL, ["match.*", "referral.created"], description="CRM")
    assert created["secret"].startswith("whsec_") and created["previous_secret_expires_at"] is None
    assert created["enabled"] is True and created["disabled_reason"] is None
    got = client.get(f"/v1/webhook-endpoints/{created['id']}", headers=h)
    assert got.status_code == 200 and "secret" not in got.json
    assert got.json["event_types"] == ["match.*", "referral.created"] and got.json["description"] == "CRM"
    page = client.get("/v1/webhook-endpoints", headers=h)
    assert [e["id"] for e in page.json["data"]] == [created["id"]]

    path = f"/v1/webhook-endpoints/{created['id']}"
    assert client.patch(path, json={"enabled": False}, headers=h).status_code == 428
    stale = client.patch(path, json={"enabled": False}, headers={**h, "If-Match": '"x.0"'})
    assert stale.status_code == 412
    patched = client.patch(path, json={"enabled": False, "event_types": ["*"]}, headers={**h, "If-Match": got.headers["ETag"]})
    assert patched.status_code == 200 and patched.json["enabled"] is False
    assert patched.json["disabled_reason"] == "member" and patched.json["event_types"] == ["*"]
    assert patched.headers["ETag"] != got.headers["ETag"]
    assert client.delete(path, headers={**h, "If-Match": got.headers["ETag"]}).status_code == 412
    assert client.delete(path, headers={**h, "If-Match": patched.headers["ETag"]}).status_code == 204
    assert client.get(path, headers=h).status_code == 404


def test_another_members_endpoint_is_404_and_never_listed(client):
    _a, ha = _member()
    _b, hb = _member()
    mine = create_endpoint(client, ha, URL)
    path = f"/v1/webhook-endpoints/{mine['id']}"
    assert client.get(path, headers=hb).status_code == 404
    assert client.patch(path, json={"enabled": False}, headers={**hb, "If-Match": "*"}).status_code == 404
    assert client.delete(path, headers={**hb, "If-Match": "*"}).status_code == 404
    assert client.post(f"{path}/rotate-secret", headers=hb).status_code == 404
    assert client.get(f"{path}/deliveries", headers=hb).status_code == 404
    assert client.get("/v1/webhook-endpoints", headers=hb).json["data"] == []
    assert client.get("/v1/webhook-endpoints/not-an-id", headers=ha).status_code == 404


def test_scopes(client):
    m = MemberFactory()
    read_only = token_for(m, scopes=["webhooks:read"])
    assert client.get("/v1/webhook-endpoints", headers=read_only).status_code == 200
    refused = client.post("/v1/webhook-endpoints", json={"url": URL, "event_types": ["*"]}, headers=read_only)
    assert refused.status_code == 403
    assert client.get("/v1/webhook-endpoints", headers=token_for(m, scopes=["events:read"])).status_code == 403


def test_bodies_are_checked_with_pointers(client):
    _m, h = _member()
    cases = [
        ({"url": URL, "event_types": ["nope.*"]}, "/event_types/0"),
        ({"url": URL, "event_types": []}, "/event_types"),
        ({"url": URL, "event_types": ["*", "*"]}, "/event_types"),
        ({"event_types": ["*"]}, "/url"),
        ({"url": "ftp://example.org/x", "event_types": ["*"]}, "/url"),
        ({"url": "https://user:pw@127.0.0.1/x", "event_types": ["*"]}, "/url"),
        ({"url": URL, "event_types": ["*"], "secret": "mine"}, "/secret"),
        ({"url": URL, "event_types": ["*"], "enabled": "yes"}, "/enabled"),
    ]
    for body, pointer in cases:
        resp = client.post("/v1/webhook-endpoints", json=body, headers=h)
        assert resp.status_code == 422, (body, resp.json)
        assert pointer in [e["pointer"] for e in resp.json["errors"]], (body, resp.json)


def test_a_member_has_at_most_16_endpoints(client):
    _m, h = _member()
    for _ in range(MAX_ENDPOINTS):
        create_endpoint(client, h, URL)
    over = client.post("/v1/webhook-endpoints", json={"url": URL, "event_types": ["*"]}, headers=h)
    assert over.status_code == 409 and "at most 16" in over.json["detail"]
    _other, h2 = _member()
    create_endpoint(client, h2, URL)


def test_the_secret_is_derived_never_stored_and_a_replay_shows_it(client, db_session):
    _m, h = _member()
    key = {**h, "Idempotency-Key": "create-endpoint-1"}
    first = client.post("/v1/webhook-endpoints", json={"url": URL, "event_types": ["*"]}, headers=key)
    again = client.post("/v1/webhook-endpoints", json={"url": URL, "event_types": ["*"]}, headers=key)
    assert first.status_code == again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json
    row = db_session.get(WebhookEndpoint, first.json["id"])
    assert first.json["secret"] == secrets.secret(TEST_SECRET, row.id, row.secret_nonce)
    stored = [str(v) for v in db_session.execute(select(WebhookEndpoint.__table__)).one()]
    stored += [r.body or "" for r in db_session.scalars(select(IdempotencyRecord))]
    assert not any(first.json["secret"] in v or first.json["secret"][6:] in v for v in stored)


def test_rotation_returns_a_new_secret_and_keeps_the_old_one_for_a_day(client):
    _m, h = _member()
    created = create_endpoint(client, h, URL)
    rotated = client.post(f"/v1/webhook-endpoints/{created['id']}/rotate-secret", headers=h)
    assert rotated.status_code == 200
    assert rotated.json["secret"] != created["secret"] and rotated.json["previous_secret_expires_at"]
    assert "ETag" in rotated.headers
