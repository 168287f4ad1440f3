"""OAuth requests are strict (issue 15, findings 3, 5, 6): one client authentication method per
request, no parameter twice, and one answer for an unknown client and a wrong secret."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from platform_api.oauth.models import Token
from platform_api.oauth.server import CLIENT_AUTH_FAILED
from tests.factories.oauth import make_client, make_public_client, make_token

from .helpers import authorize_url, pkce_pair


def basic(client_id: str, secret: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def _tokens(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(Token))


def test_basic_and_body_credentials_together_are_refused(client, db_session):
    """A wrong Basic password with another client's valid body credentials used to get that
    other client a token (and spread secret guesses over the other client's rate-limit bucket)."""
    guessed, _ = make_client()
    victim, victim_secret = make_client()
    before = _tokens(db_session)
    resp = client.post("/oauth/token", headers=basic(guessed.client_id, "guess"), data={
        "grant_type": "client_credentials", "client_id": victim.client_id, "client_secret": victim_secret})
    assert resp.status_code == 400 and resp.json["error"] == "invalid_request"
    assert "one way" in resp.json["error_description"]
    assert _tokens(db_session) == before


def test_a_body_client_id_naming_another_client_is_refused(client):
    one, secret = make_client()
    other, _ = make_client()
    resp = client.post("/oauth/token", headers=basic(one.client_id, secret),
                       data={"grant_type": "client_credentials", "client_id": other.client_id})
    assert resp.status_code == 400 and resp.json["error"] == "invalid_request"
    same = client.post("/oauth/token", headers=basic(one.client_id, secret),
                       data={"grant_type": "client_credentials", "client_id": one.client_id})
    assert same.status_code == 200, same.json  # the same client named twice is one method


@pytest.mark.parametrize("endpoint", ["/oauth/revoke", "/oauth/introspect"])
def test_one_method_at_revocation_and_introspection_too(client, endpoint):
    one, secret = make_client()
    other, other_secret = make_client()
    _token, value = make_token(one)
    resp = client.post(endpoint, headers=basic(one.client_id, "wrong"),
                       data={"token": value, "client_id": other.client_id, "client_secret": other_secret})
    assert resp.status_code == 400 and resp.json["error"] == "invalid_request"


def _answer(resp) -> tuple:
    return resp.status_code, resp.json, resp.headers.get("WWW-Authenticate")


@pytest.mark.parametrize("endpoint", ["/oauth/token", "/oauth/introspect", "/oauth/revoke"])
def test_an_unknown_client_and_a_wrong_secret_get_the_same_answer(client, endpoint):
    known, _ = make_client()
    data = {"grant_type": "client_credentials", "token": "x"}
    wrong = client.post(endpoint, headers=basic(known.client_id, "wrong"), data=data)
    unknown = client.post(endpoint, headers=basic("cl_nobody_has_this", "wrong"), data=data)
    assert _answer(wrong) == _answer(unknown)
    assert wrong.status_code == 401 and wrong.json == {"error": "invalid_client", "error_description": CLIENT_AUTH_FAILED}
    assert wrong.headers["WWW-Authenticate"].startswith("Basic ")
    # The same in the body (client_secret_post).
    wrong_post = client.post(endpoint, data={**data, "client_id": known.client_id, "client_secret": "wrong"})
    unknown_post = client.post(endpoint, data={**data, "client_id": "cl_nobody_has_this", "client_secret": "wrong"})
    assert _answer(wrong_post) == _answer(unknown_post) and wrong_post.json["error"] == "invalid_client"


def test_a_public_client_probe_learns_nothing(client):
    """client_id alone (the 'none' method): an unknown ID and a confidential client's ID that
    may not authenticate that way get the same answer."""
    confidential, _ = make_client()
    public = make_public_client()
    data = {"grant_type": "authorization_code", "code": "x", "code_verifier": "y" * 43,
            "redirect_uri": public.redirect_uris[0]}
    known = client.post("/oauth/token", data={**data, "client_id": confidential.client_id})
    unknown = client.post("/oauth/token", data={**data, "client_id": "cl_nobody_has_this"})
    assert _answer(known) == _answer(unknown) and known.json["error"] == "invalid_client"
    # A real public client gets past authentication (and then fails on the fake code).
    assert client.post("/oauth/token", data={**data, "client_id": public.client_id}).json["error"] == "invalid_grant"


@pytest.mark.parametrize("pairs", [
    [("grant_type", "client_credentials"), ("grant_type", "client_credentials")],
    [("grant_type", "client_credentials"), ("scope", "members:read"), ("scope", "members:read")],
])
def test_a_parameter_given_twice_is_refused_at_the_token_endpoint(client, db_session, pairs):
    oc, secret = make_client()
    before = _tokens(db_session)
    resp = client.post("/oauth/token", headers=basic(oc.client_id, secret), data=MultiDict(pairs))
    assert resp.status_code == 400 and resp.json["error"] == "invalid_request"
    assert "more than once" in resp.json["error_description"]
    assert _tokens(db_session) == before


def test_a_parameter_in_the_query_and_the_body_counts_twice(client):
    oc, secret = make_client()
    resp = client.post("/oauth/token?grant_type=client_credentials", headers=basic(oc.client_id, secret),
                       data={"grant_type": "client_credentials"})
    assert resp.status_code == 400 and resp.json["error"] == "invalid_request"


@pytest.mark.parametrize("endpoint", ["/oauth/revoke", "/oauth/introspect"])
def test_a_parameter_given_twice_is_refused_at_revocation_and_introspection(client, endpoint):
    oc, secret = make_client()
    token, value = make_token(oc)
    resp = client.post(endpoint, headers=basic(oc.client_id, secret), data=MultiDict([("token", value), ("token", value)]))
    assert resp.status_code == 400 and resp.json["error"] == "invalid_request"
    assert token.revoked_at is None


def test_a_parameter_given_twice_is_refused_at_the_authorization_endpoint(client):
    app_client = make_public_client()
    _verifier, challenge = pkce_pair()
    url = authorize_url(app_client.client_id, challenge) + "&state=again"
    resp = client.get(url)
    assert resp.status_code == 400 and resp.mimetype == "text/html"
    assert "more than once" in resp.get_data(as_text=True)
    assert "Location" not in resp.headers
