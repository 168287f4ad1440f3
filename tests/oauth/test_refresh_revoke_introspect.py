import base64

from platform_api.db import utcnow
from tests.factories.accounts import DEFAULT_PASSWORD, UserFactory
from tests.factories.oauth import make_client, make_public_client

from .helpers import bearer, exchange, get_code


def _tokens(client, app_client=None, user=None):
    app_client = app_client or make_public_client()
    user = user or UserFactory()
    code, verifier = get_code(client, app_client, user.email, DEFAULT_PASSWORD)
    return app_client, user, exchange(client, app_client, code, verifier).json


def _refresh(client, app_client, refresh_token):
    return client.post("/oauth/token", data={"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": app_client.client_id})


def basic(client_id, secret):
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def test_refresh_rotates_the_refresh_token(client):
    app_client, _user, first = _tokens(client)
    second = _refresh(client, app_client, first["refresh_token"])
    assert second.status_code == 200, second.json
    assert second.json["refresh_token"] != first["refresh_token"]
    assert client.get("/v1/me", headers=bearer(second.json["access_token"])).status_code == 200


def test_reused_refresh_token_revokes_the_whole_family(client):
    app_client, _user, first = _tokens(client)
    second = _refresh(client, app_client, first["refresh_token"]).json
    reuse = _refresh(client, app_client, first["refresh_token"])
    assert reuse.status_code == 400 and reuse.json["error"] == "invalid_grant"
    assert client.get("/v1/me", headers=bearer(second["access_token"])).status_code == 401
    assert client.get("/v1/me", headers=bearer(first["access_token"])).status_code == 401
    assert _refresh(client, app_client, second["refresh_token"]).status_code == 400


def test_refresh_cannot_widen_scope(client):
    app_client = make_public_client(scopes=["members:read", "members:write"])
    user = UserFactory()
    code, verifier = get_code(client, app_client, user.email, DEFAULT_PASSWORD, scope="members:read")
    tokens = exchange(client, app_client, code, verifier).json
    resp = client.post("/oauth/token", data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
                                             "client_id": app_client.client_id, "scope": "members:read members:write"})
    assert resp.status_code == 400 and resp.json["error"] == "invalid_scope"


def test_refresh_fails_once_the_person_is_disabled(client, db_session):
    app_client, user, first = _tokens(client)
    user.disabled_at = utcnow()
    db_session.flush()
    assert client.get("/v1/me", headers=bearer(first["access_token"])).status_code == 401
    assert _refresh(client, app_client, first["refresh_token"]).status_code == 400


def test_refresh_token_of_another_client_is_refused(client):
    app_client, _user, first = _tokens(client)
    other = make_public_client()
    assert _refresh(client, other, first["refresh_token"]).status_code == 400
    assert _refresh(client, app_client, first["refresh_token"]).status_code == 200


def test_revoking_an_access_token(client):
    oc, secret = make_client()
    access = client.post("/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(oc.client_id, secret)).json["access_token"]
    resp = client.post("/oauth/revoke", data={"token": access}, headers=basic(oc.client_id, secret))
    assert resp.status_code == 200
    assert client.get("/v1/me", headers=bearer(access)).status_code == 401


def test_public_client_revokes_its_refresh_token_and_the_family_goes(client):
    app_client, _user, first = _tokens(client)
    resp = client.post("/oauth/revoke", data={"token": first["refresh_token"], "token_type_hint": "refresh_token", "client_id": app_client.client_id})
    assert resp.status_code == 200
    assert client.get("/v1/me", headers=bearer(first["access_token"])).status_code == 401
    assert _refresh(client, app_client, first["refresh_token"]).status_code == 400


def test_revoking_an_unknown_token_is_200(client):
    oc, secret = make_client()
    assert client.post("/oauth/revoke", data={"token": "nope"}, headers=basic(oc.client_id, secret)).status_code == 200


def test_revocation_needs_client_authentication(client):
    assert client.post("/oauth/revoke", data={"token": "x"}).status_code in (400, 401)


def test_introspection_of_own_token(client):
    oc, secret = make_client(scopes=["members:read"])
    access = client.post("/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(oc.client_id, secret)).json["access_token"]
    body = client.post("/oauth/introspect", data={"token": access}, headers=basic(oc.client_id, secret)).json
    assert body["active"] is True
    assert body["client_id"] == oc.client_id
    assert body["scope"] == "members:read"
    assert body["member_id"] == oc.member.id
    assert body["exp"] > body["iat"]


def test_introspection_of_another_clients_token_reads_inactive(client):
    oc, secret = make_client()
    other, other_secret = make_client()
    access = client.post("/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(other.client_id, other_secret)).json["access_token"]
    body = client.post("/oauth/introspect", data={"token": access}, headers=basic(oc.client_id, secret)).json
    assert body == {"active": False}


def test_introspection_of_revoked_token_reads_inactive(client):
    oc, secret = make_client()
    access = client.post("/oauth/token", data={"grant_type": "client_credentials"}, headers=basic(oc.client_id, secret)).json["access_token"]
    client.post("/oauth/revoke", data={"token": access}, headers=basic(oc.client_id, secret))
    assert client.post("/oauth/introspect", data={"token": access}, headers=basic(oc.client_id, secret)).json == {"active": False}


def test_introspection_needs_a_confidential_client(client):
    app_client, _user, first = _tokens(client)
    resp = client.post("/oauth/introspect", data={"token": first["access_token"], "client_id": app_client.client_id})
    assert resp.status_code in (400, 401)
    assert resp.json["error"] == "invalid_client"


def test_metadata_document(client):
    from authlib.oauth2.rfc8414 import AuthorizationServerMetadata

    resp = client.get("/.well-known/oauth-authorization-server")
    assert resp.status_code == 200
    body = resp.json
    AuthorizationServerMetadata(body).validate()
    assert body["code_challenge_methods_supported"] == ["S256"]
    assert "members:read" in body["scopes_supported"]
    assert "implicit" not in body["grant_types_supported"] and "password" not in body["grant_types_supported"]
    assert body["token_endpoint"].endswith("/oauth/token")
