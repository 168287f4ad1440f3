"""Driving the authorization-code flow the way a browser and an app would."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from urllib.parse import parse_qs, urlencode, urlsplit

REDIRECT = "http://127.0.0.1:9000/callback"


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_url(client_id: str, challenge: str | None, *, scope: str | None = None, state: str = "st-123",
                  redirect_uri: str = REDIRECT, method: str | None = "S256", **extra) -> str:
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri, "state": state}
    if challenge is not None:
        params["code_challenge"] = challenge
    if method is not None:
        params["code_challenge_method"] = method
    if scope is not None:
        params["scope"] = scope
    params.update(extra)
    return "/oauth/authorize?" + urlencode(params)


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def decision_form(html: str, decision: str = "approve") -> dict:
    """What the consent page's Approve (or Deny) button sends."""
    match = re.search(r'name="consent_token" value="([^"]+)"', html)
    assert match, "page has no consent token"
    return {"decision": decision, "csrf_token": csrf_of(html), "consent_token": match.group(1)}


def sign_in(client, url: str, email: str, password: str):
    page = client.get(url)
    assert page.status_code == 200, page.get_data(as_text=True)
    return client.post(url, data={"email": email, "password": password, "csrf_token": csrf_of(page.get_data(as_text=True))})


def approve(client, url: str, email: str, password: str, decision: str = "approve"):
    consent = sign_in(client, url, email, password)
    html = consent.get_data(as_text=True)
    assert 'value="approve"' in html, html
    return client.post(url, data=decision_form(html, decision))


def query_of(location: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def get_code(client, oauth_client, user_email: str, password: str, *, scope: str | None = None) -> tuple[str, str]:
    verifier, challenge = pkce_pair()
    resp = approve(client, authorize_url(oauth_client.client_id, challenge, scope=scope), user_email, password)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    params = query_of(resp.headers["Location"])
    assert params["state"] == "st-123"
    return params["code"], verifier


def exchange(client, oauth_client, code: str, verifier: str | None, redirect_uri: str = REDIRECT):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "client_id": oauth_client.client_id}
    if verifier is not None:
        data["code_verifier"] = verifier
    return client.post("/oauth/token", data=data)


def bearer(value: str) -> dict:
    return {"Authorization": f"Bearer {value}"}
