"""Client-credentials issue without Authlib's request plumbing gives Authlib's answers.

PlatformAuthorizationServer.issue_client_credentials serves a request that Authlib would grant as
it stands and hands every other request to Authlib. Each request below is sent twice, once with the
fast path and once with Authlib alone; status, headers, body (but for the random token) and the
stored row must be the same, and the fast path must have served exactly the requests it is meant to.
"""

from __future__ import annotations

import base64
from urllib.parse import quote

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from platform_api.oauth.models import Token
from platform_api.oauth.server import PlatformAuthorizationServer
from platform_api.security import secret_hash
from tests.factories.members import MemberFactory
from tests.factories.oauth import make_client

HEADERS = ("Content-Type", "Cache-Control", "Pragma", "WWW-Authenticate")


def _basic(client_id: str, secret: str, *, raw: str | None = None) -> dict:
    value = raw if raw is not None else f"{client_id}:{secret}"
    return {"Authorization": "Basic " + base64.b64encode(value.encode()).decode()}


def _cc(**extra) -> dict:
    return {"grant_type": "client_credentials", **extra}


# name: (client options, request builder, served by the fast path)
CASES = {
    "basic, no scope": ({}, lambda c, s: ("", _cc(), _basic(c, s)), True),
    "basic, some scopes": ({}, lambda c, s: ("", _cc(scope="members:read technologies:read"), _basic(c, s)), True),
    "basic, a scope twice": ({}, lambda c, s: ("", _cc(scope="members:read members:read"), _basic(c, s)), True),
    "basic, percent-encoded id": ({}, lambda c, s: ("", _cc(), _basic("", "", raw=f"{quote(c, safe='')}:{s}")), True),
    "basic, id written with escapes": (
        {}, lambda c, s: ("", _cc(), _basic("", "", raw="".join(f"%{b:02X}" for b in c.encode()) + f":{s}")), True),
    "empty scope": ({}, lambda c, s: ("", _cc(scope=""), _basic(c, s)), False),
    "unknown scope": ({}, lambda c, s: ("", _cc(scope="admin"), _basic(c, s)), False),
    "scope the client lacks": (
        {"scopes": ["members:read"]}, lambda c, s: ("", _cc(scope="members:write"), _basic(c, s)), False),
    "malformed scope": ({}, lambda c, s: ("", _cc(scope="members:read\x01"), _basic(c, s)), False),
    "wrong secret": ({}, lambda c, s: ("", _cc(), _basic(c, s + "x")), False),
    "unknown client": ({}, lambda c, s: ("", _cc(), _basic(c + "x", s)), False),
    "no secret in the header": ({}, lambda c, s: ("", _cc(), _basic("", "", raw=c)), False),
    "empty secret": ({}, lambda c, s: ("", _cc(), _basic(c, "")), False),
    "not base64": ({}, lambda c, s: ("", _cc(), {"Authorization": "Basic %%%"}), False),
    "bearer instead of basic": ({}, lambda c, s: ("", _cc(), {"Authorization": f"Bearer {s}"}), False),
    "revoked client": ({"revoked": True}, lambda c, s: ("", _cc(), _basic(c, s)), False),
    "suspended member": ({"suspended": True}, lambda c, s: ("", _cc(), _basic(c, s)), False),
    "client without the grant": (
        {"grant_types": ["authorization_code", "refresh_token"], "redirect_uris": ["http://127.0.0.1:9000/callback"]},
        lambda c, s: ("", _cc(), _basic(c, s)), False),
    "client_secret_post": ({}, lambda c, s: ("", _cc(client_id=c, client_secret=s), {}), False),
    "basic and post": ({}, lambda c, s: ("", _cc(client_id=c, client_secret=s), _basic(c, s)), False),
    "parameter in the query": ({}, lambda c, s: ("?scope=members:read", _cc(), _basic(c, s)), False),
    "unknown parameter": ({}, lambda c, s: ("", _cc(audience="x"), _basic(c, s)), False),
    "scope given twice": (
        {}, lambda c, s: ("", MultiDict([("grant_type", "client_credentials"), ("scope", "members:read"), ("scope", "members:read")]),
                          _basic(c, s)), False),
    "grant_type given twice": (
        {}, lambda c, s: ("", MultiDict([("grant_type", "client_credentials"), ("grant_type", "client_credentials")]),
                          _basic(c, s)), False),
}


@pytest.fixture
def fast_path(monkeypatch):
    """Records what the fast path answered; `enabled = False` hands every request to Authlib."""
    original = PlatformAuthorizationServer.issue_client_credentials
    state = {"enabled": True, "served": []}

    def spy(self, request):
        if not state["enabled"]:
            return None
        answer = original(self, request)
        state["served"].append(answer is not None)
        return answer

    monkeypatch.setattr(PlatformAuthorizationServer, "issue_client_credentials", spy)
    return state


def _outcome(resp, db_session) -> dict:
    body = dict(resp.get_json() or {})
    raw = resp.get_data(as_text=True)  # byte for byte, but for the random token
    stored = None
    if "access_token" in body:
        token = body.pop("access_token")
        raw = raw.replace(token, "<token>")
        row = db_session.scalars(select(Token).where(Token.access_token_hash == secret_hash(token))).one()
        stored = {k: getattr(row, k) for k in ("client_pk", "member_id", "user_id", "grant_type", "scope",
                                               "expires_in", "refresh_token_hash", "refresh_expires_at", "revoked_at")}
        assert row.family_id and (row.access_expires_at - row.issued_at).total_seconds() == row.expires_in
    return {"status": resp.status_code, "headers": {h: resp.headers.get(h) for h in HEADERS}, "body": body,
            "raw": raw, "stored": stored}


@pytest.mark.parametrize("case", list(CASES))
def test_fast_path_answers_as_authlib_does(case, client, db_session, fast_path):
    options, build, served = CASES[case]
    options = dict(options)
    member = MemberFactory(status="suspended") if options.pop("suspended", False) else MemberFactory()
    revoked = options.pop("revoked", False)
    oc, secret = make_client(member=member, **options)
    if revoked:
        from platform_api.db import utcnow

        oc.revoked_at = utcnow()
        db_session.flush()
    query, data, headers = build(oc.client_id, secret)

    outcomes = []
    for enabled in (True, False):
        fast_path["enabled"] = enabled
        outcomes.append(_outcome(client.post("/oauth/token" + query, data=data, headers=headers), db_session))

    assert outcomes[0] == outcomes[1]
    assert fast_path["served"] == ([True] if served else [False] * len(fast_path["served"]))
    if served:
        assert outcomes[0]["status"] == 200 and outcomes[0]["stored"]["client_pk"] == oc.id


def test_fast_path_serves_a_plain_request_without_authlib(client, monkeypatch):
    """The plain request does not reach Authlib's token endpoint at all (else the test above
    would compare Authlib with itself)."""
    oc, secret = make_client()

    def refuse(*_a, **_kw):
        raise AssertionError("Authlib's create_token_response was called")

    monkeypatch.setattr(PlatformAuthorizationServer, "create_token_response", refuse)
    resp = client.post("/oauth/token", data=_cc(scope="members:read"), headers=_basic(oc.client_id, secret))
    assert resp.status_code == 200 and resp.json["scope"] == "members:read"
