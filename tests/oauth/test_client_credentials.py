import base64

from sqlalchemy import select, text

from platform_api.oauth.models import Token
from platform_api.security import secret_hash
from tests.factories.oauth import ClientFactory, make_client

from .helpers import bearer


def basic(client_id: str, secret: str) -> dict:
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def test_issues_a_token_that_calls_me(client, db_session):
    oc, secret = make_client(scopes=["members:read", "technologies:read"])
    resp = client.post("/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(oc.client_id, secret))
    assert resp.status_code == 200, resp.json
    body = resp.json
    assert body["token_type"].lower() == "bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "members:read technologies:read"
    assert "refresh_token" not in body
    assert resp.headers["Cache-Control"] == "no-store"
    me = client.get("/v1/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json["member"]["id"] == oc.member.id
    assert me.json["client"]["client_id"] == oc.client_id


def test_tokens_are_stored_only_as_hashes(client, db_session, connection):
    oc, secret = make_client()
    body = client.post("/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(oc.client_id, secret)).json
    token = db_session.scalars(select(Token).where(Token.client_pk == oc.id)).one()
    assert token.access_token_hash == secret_hash(body["access_token"])
    dump = " ".join(str(v) for row in connection.execute(text("SELECT * FROM oauth_tokens")) for v in row)
    assert body["access_token"] not in dump
    clients = " ".join(str(v) for row in connection.execute(text("SELECT * FROM oauth_clients")) for v in row)
    assert secret not in clients


def test_client_secret_post_is_accepted(client):
    oc, secret = make_client()
    resp = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": oc.client_id, "client_secret": secret, "scope": "members:read"},
    )
    assert resp.status_code == 200, resp.json
    assert resp.json["scope"] == "members:read"


def test_wrong_secret_is_invalid_client(client):
    oc, _secret = make_client()
    resp = client.post("/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(oc.client_id, "wrong"))
    assert resp.status_code == 401
    assert resp.json["error"] == "invalid_client"


def test_scope_the_client_may_not_have_is_refused_not_dropped(client):
    oc, secret = make_client(scopes=["members:read"])
    resp = client.post(
        "/oauth/token", data={"grant_type": "client_credentials", "scope": "members:read members:write"},
        headers=basic(oc.client_id, secret),
    )
    assert resp.status_code == 400
    assert resp.json["error"] == "invalid_scope"
    assert "members:write" in resp.json["error_description"]


def test_unknown_scope_is_refused(client):
    oc, secret = make_client()
    resp = client.post("/oauth/token", data={"grant_type": "client_credentials", "scope": "admin"}, headers=basic(oc.client_id, secret))
    assert resp.status_code == 400 and resp.json["error"] == "invalid_scope"


def test_password_and_implicit_grants_do_not_exist(client):
    oc, secret = make_client()
    resp = client.post(
        "/oauth/token", data={"grant_type": "password", "username": "a", "password": "b"}, headers=basic(oc.client_id, secret)
    )
    assert resp.status_code == 400 and resp.json["error"] == "unsupported_grant_type"
    resp = client.get(f"/oauth/authorize?response_type=token&client_id={oc.client_id}")
    assert resp.status_code in (302, 400)
    assert "access_token" not in resp.headers.get("Location", "")


def test_client_without_the_grant_is_refused(client):
    oc, secret = make_client(grant_types=["authorization_code"], redirect_uris=["https://app.example/cb"])
    resp = client.post("/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(oc.client_id, secret))
    assert resp.status_code == 400 and resp.json["error"] == "unauthorized_client"


def test_revoked_client_cannot_get_tokens_and_its_tokens_stop(client, db_session):
    from platform_api.db import utcnow

    oc, secret = make_client()
    access = client.post("/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(oc.client_id, secret)).json["access_token"]
    oc.revoked_at = utcnow()
    db_session.flush()
    assert client.post("/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(oc.client_id, secret)).status_code == 401
    assert client.get("/v1/me", headers=bearer(access)).status_code == 401


def test_suspending_the_member_stops_its_tokens_on_the_next_request(client, db_session):
    oc, secret = make_client()
    access = client.post("/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(oc.client_id, secret)).json["access_token"]
    assert client.get("/v1/me", headers=bearer(access)).status_code == 200
    oc.member.status = "suspended"
    db_session.flush()
    resp = client.get("/v1/me", headers=bearer(access))
    assert resp.status_code == 401
    assert "invalid_token" in resp.headers["WWW-Authenticate"]
    assert client.post("/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(oc.client_id, secret)).status_code == 401


def test_expired_token_is_refused(client, db_session):
    from datetime import timedelta

    from tests.factories.oauth import make_token

    token, value = make_token(ClientFactory())
    token.access_expires_at = token.issued_at - timedelta(seconds=1)
    db_session.flush()
    assert client.get("/v1/me", headers=bearer(value)).status_code == 401


def test_token_in_query_string_is_refused(client):
    from tests.factories.oauth import make_token

    _token, value = make_token(ClientFactory())
    resp = client.get(f"/v1/me?access_token={value}")
    assert resp.status_code == 400
    assert "query string" in resp.json["detail"]


def test_token_endpoint_rejects_get(client):
    assert client.get("/oauth/token").status_code == 405


def test_access_token_ttl_follows_settings(make_app):
    c = make_app(access_token_ttl=120).test_client()
    oc, secret = make_client()
    resp = c.post("/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(oc.client_id, secret))
    assert resp.json["expires_in"] == 120


def test_plain_http_off_loopback_is_refused_not_500(client):
    oc, secret = make_client()
    resp = client.post("/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(oc.client_id, secret),
                       base_url="http://api.example.com")
    assert resp.status_code == 400
    assert resp.json["error"] == "invalid_request"


def test_clients_behind_one_address_have_separate_token_budgets(make_app):
    c = make_app(rate_limit="2/minute").test_client()
    a, a_secret = make_client()
    b, b_secret = make_client()
    grant = {"grant_type": "client_credentials"}
    assert [c.post("/oauth/token", data=grant, headers=basic(a.client_id, a_secret)).status_code for _ in range(3)] == [200, 200, 429]
    assert c.post("/oauth/token", data=grant, headers=basic(b.client_id, b_secret)).status_code == 200
