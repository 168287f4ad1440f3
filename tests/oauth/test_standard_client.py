"""A standard OAuth client library (Authlib's requests client) against the server."""

from authlib.integrations.requests_client import OAuth2Session

from tests.factories.accounts import DEFAULT_PASSWORD, UserFactory
from tests.factories.oauth import make_client, make_public_client
from tests.wsgi_transport import session_for

from .helpers import REDIRECT, approve, query_of

BASE = "http://127.0.0.1:8000"


def test_client_credentials_with_a_standard_library(app):
    oc, secret = make_client(scopes=["members:read"])
    oauth = session_for(app, OAuth2Session(oc.client_id, secret, scope="members:read"))
    token = oauth.fetch_token(f"{BASE}/oauth/token", grant_type="client_credentials")
    assert token["scope"] == "members:read"
    me = oauth.get(f"{BASE}/v1/me")
    assert me.status_code == 200
    assert me.json()["client"]["client_id"] == oc.client_id


def test_authorization_code_with_pkce_with_a_standard_library(app, client):
    app_client = make_public_client(scopes=["members:read"])
    user = UserFactory()
    oauth = session_for(
        app,
        OAuth2Session(app_client.client_id, scope="members:read", redirect_uri=REDIRECT, code_challenge_method="S256"),
    )
    verifier = "v" * 20 + "Verifier-0123456789abcdef-xyz"
    url, state = oauth.create_authorization_url(f"{BASE}/oauth/authorize", code_verifier=verifier)
    path = url[len(BASE):]
    redirect = approve(client, path, user.email, DEFAULT_PASSWORD)
    assert redirect.status_code == 302
    assert query_of(redirect.headers["Location"])["state"] == state
    token = oauth.fetch_token(f"{BASE}/oauth/token", authorization_response=redirect.headers["Location"], code_verifier=verifier)
    assert token["refresh_token"]
    me = oauth.get(f"{BASE}/v1/me").json()
    assert me["person"]["email"] == user.email
    refreshed = oauth.refresh_token(f"{BASE}/oauth/token", refresh_token=token["refresh_token"])
    assert refreshed["refresh_token"] != token["refresh_token"]
