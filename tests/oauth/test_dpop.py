"""DPoP (RFC 9449): proofs at the token endpoint, key-bound tokens, codes and refresh tokens, and
the resource server's DPoP scheme. Every refusal here is one the server would not make without
oauth/dpop.py and its callers."""

from __future__ import annotations

import base64
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from platform_api.db import utcnow
from platform_api.oauth.models import AuthorizationCode, DPoPProof, OAuthClient, Token
from platform_api.security import secret_hash
from tests.factories.accounts import DEFAULT_PASSWORD, UserFactory
from tests.factories.oauth import make_client, make_public_client

from .dpop_client import DROP, ISSUER, TOKEN_URL, DPoPKey, hmac_key, unsigned
from .helpers import REDIRECT, approve, authorize_url, bearer, pkce_pair, query_of


def basic(client_id: str, secret: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def cc(client, oc, secret, headers=None, **data):
    return client.post("/oauth/token", data={"grant_type": "client_credentials", **data},
                       headers={**basic(oc.client_id, secret), **(headers or {})})


def stored(db_session, access_token: str) -> Token:
    return db_session.scalars(select(Token).where(Token.access_token_hash == secret_hash(access_token))).one()


def refused_proof(resp, fragment: str = ""):
    assert resp.status_code == 400, (resp.status_code, resp.get_data(as_text=True))
    assert resp.json["error"] == "invalid_dpop_proof", resp.json
    assert fragment in resp.json["error_description"], resp.json
    assert resp.headers["Cache-Control"] == "no-store"


def refused_at_resource(resp, error: str, fragment: str = ""):
    assert resp.status_code == 401, (resp.status_code, resp.get_data(as_text=True))
    assert resp.content_type == "application/problem+json"
    assert resp.json["type"] == "/problems/unauthorized"
    challenge = resp.headers["WWW-Authenticate"]
    assert challenge.startswith('DPoP realm="platform", algs="ES256 ES384 PS256 RS256 Ed25519 EdDSA"'), challenge
    assert f'error="{error}"' in challenge, challenge
    assert fragment in resp.json["detail"], resp.json


@pytest.fixture
def key():
    return DPoPKey("ES256")


@pytest.fixture
def confidential():
    return make_client(scopes=["members:read"])


def dpop_token(client, key, confidential) -> str:
    oc, secret = confidential
    resp = cc(client, oc, secret, key.headers())
    assert resp.status_code == 200, resp.json
    assert resp.json["token_type"] == "DPoP"
    return resp.json["access_token"]


# --- metadata ----------------------------------------------------------------------------------


def test_metadata_offers_dpop_with_asymmetric_algorithms_only(client):
    meta = client.get("/.well-known/oauth-authorization-server").json
    assert meta["dpop_signing_alg_values_supported"] == ["ES256", "ES384", "PS256", "RS256", "Ed25519", "EdDSA"]


# --- client credentials ------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["ES256", "ES384", "PS256", "RS256", "Ed25519", "EdDSA"])
def test_client_credentials_with_a_proof_gets_a_token_bound_to_the_key(client, db_session, confidential, alg):
    key = DPoPKey(alg)
    oc, secret = confidential
    resp = cc(client, oc, secret, key.headers())
    assert resp.status_code == 200, resp.json
    assert resp.json["token_type"] == "DPoP"
    token = resp.json["access_token"]
    assert stored(db_session, token).dpop_jkt == key.jkt
    me = client.get("/v1/me", headers=key.resource(token))
    assert me.status_code == 200, me.json
    assert me.json["client"]["client_id"] == oc.client_id


def test_without_a_proof_the_token_is_a_bearer_token_as_before(client, db_session, confidential):
    oc, secret = confidential
    resp = cc(client, oc, secret)
    assert resp.status_code == 200 and resp.json["token_type"] == "Bearer"
    assert stored(db_session, resp.json["access_token"]).dpop_jkt is None
    assert client.get("/v1/me", headers=bearer(resp.json["access_token"])).status_code == 200


def test_htu_may_carry_a_query_and_differ_in_case_and_default_port(client, confidential, key):
    oc, secret = confidential
    resp = cc(client, oc, secret, key.headers(htu="HTTP://127.0.0.1:8000/oauth/token?x=1#f"))
    assert resp.status_code == 200, resp.json


@pytest.mark.parametrize("fast_path", [True, False])
def test_a_client_registered_for_dpop_gets_nothing_without_a_proof(make_app, db_session, key, fast_path):
    client = make_app(token_fast_path=fast_path).test_client()
    oc, secret = make_client(dpop_bound_access_tokens=True)
    resp = cc(client, oc, secret)
    refused_proof(resp, "registered for DPoP")
    assert db_session.scalars(select(Token).where(Token.client_pk == oc.id)).first() is None
    ok = cc(client, oc, secret, key.headers())
    assert ok.status_code == 200 and ok.json["token_type"] == "DPoP"


def test_client_secret_post_with_a_proof_is_bound_too(client, db_session, confidential, key):
    oc, secret = confidential
    resp = client.post("/oauth/token", headers=key.headers(), data={
        "grant_type": "client_credentials", "client_id": oc.client_id, "client_secret": secret})
    assert resp.status_code == 200 and resp.json["token_type"] == "DPoP"
    assert stored(db_session, resp.json["access_token"]).dpop_jkt == key.jkt


# --- refusals at the token endpoint ------------------------------------------------------------

PAST = 400  # beyond the 300 s a proof may be old (with room for the time the test takes)
AHEAD = 120  # beyond the 60 s a proof may be ahead


@pytest.mark.parametrize(("make", "fragment"), [
    (lambda k: k.proof(header={"typ": "jwt"}), "'typ'"),
    (lambda k: k.proof(header={"typ": DROP}), "'typ'"),
    (lambda k: unsigned({"typ": "dpop+jwt", "alg": "none", "jwk": k.public_jwk()},
                        {"jti": "x", "htm": "POST", "htu": TOKEN_URL, "iat": int(time.time())}), "not a signed JWT"),
    (lambda k: unsigned({"typ": "dpop+jwt", "alg": "none", "jwk": k.public_jwk()},
                        {"jti": "x", "htm": "POST", "htu": TOKEN_URL, "iat": int(time.time())}) + "c2ln", "'alg'"),
    (lambda k: k.proof(alg="HS256", sign_with=(h := hmac_key()), header={"jwk": h.as_dict(private=True)}), "'alg'"),
    (lambda k: k.proof(header={"jwk": k.key.as_dict(private=True)}), "private"),
    (lambda k: k.proof(header={"jwk": DROP}), "'jwk'"),
    (lambda k: k.proof(header={"jwk": {"kty": "oct", "k": "c2VjcmV0"}}), "private or symmetric"),
    (lambda k: k.proof(header={"jwk": {"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"}}), "not a valid public key"),
    (lambda k: k.proof(header={"jwk": DPoPKey("ES256").public_jwk()}), "signature does not verify"),
    (lambda k: k.proof(header={"jwk": DPoPKey("RS256").public_jwk()}), "does not fit its algorithm"),
    (lambda k: unsigned({"typ": "dpop+jwt", "alg": "ES256", "jwk": k.public_jwk(), "crit": ["x-mine"], "x-mine": 1},
                        {"jti": "x", "htm": "POST", "htu": TOKEN_URL, "iat": int(time.time())}) + "c2ln", "critical"),
    (lambda k: k.proof("GET"), "'htm'"),
    (lambda k: k.proof("post"), "'htm'"),
    (lambda k: k.proof(htu=f"{ISSUER}/oauth/revoke"), "'htu'"),
    (lambda k: k.proof(htu="http://localhost/oauth/token"), "'htu'"),  # the test client's Host: not the issuer
    (lambda k: k.proof(htu="https://127.0.0.1:8000/oauth/token"), "'htu'"),
    (lambda k: k.proof(htu="/oauth/token"), "'htu'"),
    (lambda k: k.proof(claims={"htu": DROP}), "'htu'"),
    (lambda k: k.proof(claims={"jti": DROP}), "'jti'"),
    (lambda k: k.proof(claims={"jti": ""}), "'jti'"),
    (lambda k: k.proof(claims={"iat": DROP}), "'iat'"),
    (lambda k: k.proof(claims={"iat": "now"}), "'iat'"),
    (lambda k: k.proof(claims={"iat": int(time.time()) - PAST}), "too old"),
    (lambda k: k.proof(claims={"iat": int(time.time()) + AHEAD}), "future"),
    (lambda k: "not a jwt", "not a signed JWT"),
    (lambda k: "a.b.c", "not base64url-encoded JSON"),
])
def test_a_bad_proof_is_refused_and_nothing_is_issued(client, db_session, confidential, key, make, fragment):
    oc, secret = confidential
    resp = cc(client, oc, secret, {"DPoP": make(key)})
    refused_proof(resp, fragment)
    assert db_session.scalars(select(Token).where(Token.client_pk == oc.id)).first() is None


def test_a_short_rsa_key_is_refused(client, confidential):
    import warnings

    from joserfc.jwk import RSAKey

    oc, secret = confidential
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # joserfc's warning that the key is short: the point here
        weak = DPoPKey("RS256", key=RSAKey.generate_key(1024, private=True, auto_kid=False))
    refused_proof(cc(client, oc, secret, weak.headers()), "too short")


def test_iat_may_be_a_little_old_or_a_little_ahead(client, confidential, key):
    oc, secret = confidential
    assert cc(client, oc, secret, key.headers(claims={"iat": int(time.time()) - 200})).status_code == 200
    assert cc(client, oc, secret, key.headers(claims={"iat": int(time.time()) + 30})).status_code == 200


def test_two_dpop_headers_are_refused(client, confidential, key):
    oc, secret = confidential
    headers = [*basic(oc.client_id, secret).items(), ("DPoP", key.proof()), ("DPoP", key.proof())]
    resp = client.post("/oauth/token", data={"grant_type": "client_credentials"}, headers=headers)
    refused_proof(resp, "one DPoP header")


def test_a_replayed_proof_is_refused(client, db_session, confidential, key):
    oc, secret = confidential
    proof = key.proof()
    assert cc(client, oc, secret, {"DPoP": proof}).status_code == 200
    refused_proof(cc(client, oc, secret, {"DPoP": proof}), "already used")
    assert len(db_session.scalars(select(Token).where(Token.client_pk == oc.id)).all()) == 1


def test_a_proof_is_spent_even_when_the_request_fails(client, confidential, key):
    oc, secret = confidential
    proof = key.proof()
    assert cc(client, oc, secret, {"DPoP": proof}, scope="admin").json["error"] == "invalid_scope"
    refused_proof(cc(client, oc, secret, {"DPoP": proof}), "already used")


def test_a_replay_is_refused_by_another_worker(make_app, confidential, key):
    """The record is a database row: another app (another worker, another host) refuses it too."""
    oc, secret = confidential
    proof = key.proof()
    assert cc(make_app().test_client(), oc, secret, {"DPoP": proof}).status_code == 200
    refused_proof(cc(make_app().test_client(), oc, secret, {"DPoP": proof}), "already used")


def test_the_same_jti_under_another_key_is_another_proof(client, confidential):
    oc, secret = confidential
    a, b = DPoPKey(), DPoPKey()
    assert cc(client, oc, secret, a.headers(claims={"jti": "same"})).status_code == 200
    assert cc(client, oc, secret, b.headers(claims={"jti": "same"})).status_code == 200


def test_used_proofs_are_kept_only_for_the_window(client, db_session, confidential, key):
    oc, secret = confidential
    before = utcnow()
    assert cc(client, oc, secret, key.headers()).status_code == 200
    [row] = db_session.scalars(select(DPoPProof)).all()
    assert before + timedelta(seconds=359) <= row.expires_at <= utcnow() + timedelta(seconds=361)


# --- resource server ---------------------------------------------------------------------------


def test_a_bound_token_sent_as_bearer_is_refused(client, confidential, key):
    token = dpop_token(client, key, confidential)
    refused_at_resource(client.get("/v1/me", headers=bearer(token)), "invalid_token", "bound to a DPoP key")
    # ...even with a valid proof beside it: the scheme says how the token is used.
    resp = client.get("/v1/me", headers={**bearer(token), "DPoP": key.proof("GET", f"{ISSUER}/v1/me", token=token)})
    refused_at_resource(resp, "invalid_token", "bound to a DPoP key")


def test_a_proof_of_another_key_is_refused(client, confidential, key):
    token = dpop_token(client, key, confidential)
    refused_at_resource(client.get("/v1/me", headers=DPoPKey().resource(token)), "invalid_token",
                        "Invalid DPoP key binding")


def test_a_bearer_token_sent_as_dpop_is_refused(client, confidential, key):
    oc, secret = confidential
    token = cc(client, oc, secret).json["access_token"]
    refused_at_resource(client.get("/v1/me", headers=key.resource(token)), "invalid_token", "not DPoP-bound")


def test_the_dpop_scheme_needs_a_proof(client, confidential, key):
    token = dpop_token(client, key, confidential)
    refused_at_resource(client.get("/v1/me", headers={"Authorization": f"DPoP {token}"}), "invalid_dpop_proof",
                        "needs a DPoP proof")


@pytest.mark.parametrize(("change", "fragment"), [
    ({"claims": {"ath": DROP}}, "'ath'"),
    ({"claims": {"ath": "x" * 43}}, "'ath'"),
    ({"method": "POST"}, "'htm'"),
    ({"path": "/v1/members"}, "'htu'"),
    ({"claims": {"htu": "http://localhost/v1/me"}}, "'htu'"),
    ({"iat": -PAST}, "too old"),  # seconds from now, when the proof is made
    ({"iat": AHEAD}, "future"),
    ({"header": {"typ": "JWT"}}, "'typ'"),
    ({"header": {"jwk": DPoPKey().public_jwk()}}, "signature"),
])
def test_a_bad_proof_at_the_resource_is_refused(client, confidential, key, change, fragment):
    token = dpop_token(client, key, confidential)
    kw = dict(change)
    method, path = kw.pop("method", "GET"), kw.pop("path", "/v1/me")
    if "iat" in kw:
        kw["claims"] = {"iat": int(time.time()) + kw.pop("iat")}
    headers = {"Authorization": f"DPoP {token}", "DPoP": key.proof(method, f"{ISSUER}{path}", token=token, **kw)}
    refused_at_resource(client.get("/v1/me", headers=headers), "invalid_dpop_proof", fragment)


def test_a_proof_for_another_token_is_refused(client, confidential, key):
    token = dpop_token(client, key, confidential)
    other = dpop_token(client, key, confidential)
    headers = {"Authorization": f"DPoP {token}", "DPoP": key.proof("GET", f"{ISSUER}/v1/me", token=other)}
    refused_at_resource(client.get("/v1/me", headers=headers), "invalid_dpop_proof", "'ath'")


def test_a_proof_replayed_at_the_resource_is_refused(client, confidential, key):
    token = dpop_token(client, key, confidential)
    headers = key.resource(token)
    assert client.get("/v1/me", headers=headers).status_code == 200
    refused_at_resource(client.get("/v1/me", headers=headers), "invalid_dpop_proof", "already used")


def test_a_proof_is_for_its_own_path_and_query_is_ignored(client, confidential, key):
    token = dpop_token(client, key, confidential)
    resp = client.get("/v1/members?limit=1", headers=key.resource(token, "/v1/members"))
    assert resp.status_code == 200, resp.json


def test_a_proof_made_for_the_token_endpoint_does_not_work_at_the_resource(client, confidential, key):
    token = dpop_token(client, key, confidential)
    headers = {"Authorization": f"DPoP {token}", "DPoP": key.proof("POST", TOKEN_URL, token=token)}
    refused_at_resource(client.get("/v1/me", headers=headers), "invalid_dpop_proof", "'htm'")


def test_insufficient_scope_answers_with_the_dpop_challenge(client, confidential, key):
    token = dpop_token(client, key, confidential)  # members:read only
    resp = client.get("/v1/technologies", headers=key.resource(token, "/v1/technologies"))
    assert resp.status_code == 403
    assert resp.headers["WWW-Authenticate"].startswith('DPoP realm="platform", error="insufficient_scope"')


def test_without_a_token_both_schemes_are_offered(client):
    resp = client.get("/v1/me")
    assert resp.status_code == 401
    assert resp.headers["WWW-Authenticate"] == (
        'Bearer realm="platform", DPoP realm="platform", algs="ES256 ES384 PS256 RS256 Ed25519 EdDSA"')


def test_a_revoked_dpop_token_is_refused_with_the_dpop_challenge(client, db_session, confidential, key):
    token = dpop_token(client, key, confidential)
    stored(db_session, token).revoked_at = utcnow()
    db_session.flush()
    refused_at_resource(client.get("/v1/me", headers=key.resource(token)), "invalid_token", "revoked")


# --- introspection -------------------------------------------------------------------------------


def test_introspection_names_the_key_a_token_is_bound_to(client, confidential, key):
    oc, secret = confidential
    token = dpop_token(client, key, confidential)
    info = client.post("/oauth/introspect", data={"token": token}, headers=basic(oc.client_id, secret)).json
    assert info["active"] is True and info["token_type"] == "DPoP"
    assert info["cnf"] == {"jkt": key.jkt}
    plain = cc(client, oc, secret).json["access_token"]
    info = client.post("/oauth/introspect", data={"token": plain}, headers=basic(oc.client_id, secret)).json
    assert info["token_type"] == "Bearer" and "cnf" not in info


# --- authorization code and refresh ----------------------------------------------------------------


def code_for(client, app_client, *, dpop_jkt: str | None = None, user=None):
    user = user or UserFactory()
    verifier, challenge = pkce_pair()
    extra = {"dpop_jkt": dpop_jkt} if dpop_jkt is not None else {}
    resp = approve(client, authorize_url(app_client.client_id, challenge, **extra), user.email, DEFAULT_PASSWORD)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return query_of(resp.headers["Location"])["code"], verifier


def exchange(client, app_client, code, verifier, headers=None, secret=None):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "code_verifier": verifier}
    if secret is None:
        data["client_id"] = app_client.client_id
        auth = {}
    else:
        auth = basic(app_client.client_id, secret)
    return client.post("/oauth/token", data=data, headers={**auth, **(headers or {})})


def refresh(client, app_client, refresh_token, headers=None, secret=None):
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    if secret is None:
        data["client_id"] = app_client.client_id
        auth = {}
    else:
        auth = basic(app_client.client_id, secret)
    return client.post("/oauth/token", data=data, headers={**auth, **(headers or {})})


def test_public_client_binds_code_tokens_and_refresh_token_to_its_key(client, db_session, key):
    app_client = make_public_client()
    code, verifier = code_for(client, app_client, dpop_jkt=key.jkt)
    row = db_session.scalars(select(AuthorizationCode).where(AuthorizationCode.code_hash == secret_hash(code))).one()
    assert row.dpop_jkt == key.jkt
    resp = exchange(client, app_client, code, verifier, key.headers())
    assert resp.status_code == 200, resp.json
    assert resp.json["token_type"] == "DPoP"
    token = stored(db_session, resp.json["access_token"])
    assert (token.dpop_jkt, token.refresh_dpop_jkt) == (key.jkt, key.jkt)
    assert client.get("/v1/me", headers=key.resource(resp.json["access_token"])).status_code == 200

    again = refresh(client, app_client, resp.json["refresh_token"], key.headers())
    assert again.status_code == 200, again.json
    assert again.json["token_type"] == "DPoP"
    renewed = stored(db_session, again.json["access_token"])
    assert (renewed.dpop_jkt, renewed.refresh_dpop_jkt) == (key.jkt, key.jkt)


def test_a_code_bound_with_dpop_jkt_needs_a_proof_of_that_key(client, key):
    app_client = make_public_client()
    code, verifier = code_for(client, app_client, dpop_jkt=key.jkt)
    refused_proof(exchange(client, app_client, code, verifier), "bound to a DPoP key")
    refused_proof(exchange(client, app_client, code, verifier, DPoPKey().headers()), "another key")
    # Neither attempt spent the code: whoever holds the key still can.
    assert exchange(client, app_client, code, verifier, key.headers()).status_code == 200


def test_a_code_without_dpop_jkt_may_be_exchanged_with_a_proof(client, db_session, key):
    app_client = make_public_client()
    code, verifier = code_for(client, app_client)
    resp = exchange(client, app_client, code, verifier, key.headers())
    assert resp.status_code == 200 and resp.json["token_type"] == "DPoP"


@pytest.mark.parametrize("value", ["short", "x" * 44, "a" * 42 + "!"])
def test_a_malformed_dpop_jkt_is_an_invalid_request(client, value):
    app_client = make_public_client()
    _v, challenge = pkce_pair()
    resp = client.get(authorize_url(app_client.client_id, challenge, dpop_jkt=value))
    assert resp.status_code == 302, resp.get_data(as_text=True)
    params = query_of(resp.headers["Location"])
    assert params["error"] == "invalid_request" and "dpop_jkt" in params["error_description"]
    assert params["state"] == "st-123"


def test_a_public_clients_refresh_token_works_only_with_its_key(client, key):
    app_client = make_public_client()
    code, verifier = code_for(client, app_client)
    first = exchange(client, app_client, code, verifier, key.headers()).json
    refused_proof(refresh(client, app_client, first["refresh_token"]), "bound to a DPoP key")
    refused_proof(refresh(client, app_client, first["refresh_token"], DPoPKey().headers()), "another key")
    # A thief without the key spent nothing: the refresh token still works, once, for its holder.
    assert refresh(client, app_client, first["refresh_token"], key.headers()).status_code == 200


def test_a_confidential_clients_refresh_token_is_bound_by_its_authentication(client, db_session, key):
    """RFC 9449 5: only the access token is bound; the client may move to a new key on refresh."""
    oc, secret = make_client(grant_types=["authorization_code", "refresh_token"], redirect_uris=[REDIRECT])
    code, verifier = code_for(client, oc)
    first = exchange(client, oc, code, verifier, key.headers(), secret=secret)
    assert first.status_code == 200, first.json
    token = stored(db_session, first.json["access_token"])
    assert (token.dpop_jkt, token.refresh_dpop_jkt) == (key.jkt, None)
    new_key = DPoPKey("EdDSA")
    second = refresh(client, oc, first.json["refresh_token"], new_key.headers(), secret=secret)
    assert second.status_code == 200 and second.json["token_type"] == "DPoP"
    assert stored(db_session, second.json["access_token"]).dpop_jkt == new_key.jkt


def test_a_dpop_registered_client_must_prove_at_code_exchange_and_refresh(client, key):
    oc, secret = make_client(grant_types=["authorization_code", "refresh_token"], redirect_uris=[REDIRECT],
                             dpop_bound_access_tokens=True)
    code, verifier = code_for(client, oc)
    refused_proof(exchange(client, oc, code, verifier, secret=secret), "registered for DPoP")
    first = exchange(client, oc, code, verifier, key.headers(), secret=secret)  # the code was not spent
    assert first.status_code == 200, first.json
    refused_proof(refresh(client, oc, first.json["refresh_token"], secret=secret), "registered for DPoP")
    assert refresh(client, oc, first.json["refresh_token"], key.headers(), secret=secret).status_code == 200


# --- registration ----------------------------------------------------------------------------------


def test_clients_are_not_registered_for_dpop_unless_asked(db_session):
    oc, _secret = make_client()
    assert db_session.get(OAuthClient, oc.id).dpop_bound_access_tokens is False
