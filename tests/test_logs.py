"""Structured logs: one JSON access line per request, with request ID, member, client and route;
and no token, client secret, password or authorization code in any log record, at DEBUG."""

from __future__ import annotations

import base64
import json
import logging
from urllib.parse import parse_qs, urlsplit

import pytest

from platform_api.logs import JsonFormatter
from tests.factories.accounts import DEFAULT_PASSWORD, UserFactory
from tests.factories.members import MemberFactory
from tests.factories.oauth import make_client, make_public_client
from tests.oauth.helpers import authorize_url, csrf_of, decision_form, pkce_pair

ACCESS = "platform_api.access"
FIELDS = ("request_id", "method", "route", "path", "status", "duration_ms")


class Flow:
    """A whole OAuth flow and API calls in-process, each request with its own X-Request-ID."""

    def __init__(self, client):
        self.client = client
        self.sent: list[tuple[str, object]] = []  # (request ID, response)
        self.secrets: dict[str, str] = {}

    def __call__(self, method: str, url: str, **kwargs):
        rid = f"logtest-{len(self.sent) + 1:03d}"
        headers = {**kwargs.pop("headers", {}), "X-Request-ID": rid}
        resp = self.client.open(url, method=method, headers=headers, **kwargs)
        assert resp.headers["X-Request-ID"] == rid
        self.sent.append((rid, resp))
        return resp

    def secret(self, name: str, value: str) -> str:
        assert value, name
        self.secrets[name] = value
        return value


def _basic(client_id: str, secret: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def flow(client, caplog):
    """Everything logged at DEBUG while the flow runs, every logger included (Authlib excepted:
    the app pins it to INFO on purpose, see test_authlib_token_dumps_stay_off_at_debug)."""
    caplog.set_level(logging.DEBUG)
    for name in ("platform_api", "sqlalchemy.engine", "werkzeug", "urllib3"):
        caplog.set_level(logging.DEBUG, logger=name)

    f = Flow(client)
    member = MemberFactory(name="Log Test University")
    user = UserFactory(member=member, email="log.person@member.example")
    f.secret("password", DEFAULT_PASSWORD)
    f.member, f.user = member, user
    confidential, secret = make_client(member=member, scopes=["members:read", "members:write"])
    f.secret("client secret", secret)
    public = make_public_client(member=member, scopes=["members:read"])
    f.confidential, f.public = confidential, public

    # Client credentials, then API calls with that token.
    resp = f("POST", "/oauth/token", data={"grant_type": "client_credentials"}, headers=_basic(confidential.client_id, secret))
    assert resp.status_code == 200, resp.json
    t1 = f.secret("client-credentials access token", resp.json["access_token"])
    f.machine_calls = []
    f.machine_calls.append(f("GET", "/v1/me", headers=_bearer(t1)))
    f.machine_calls.append(f("GET", "/v1/members?limit=1", headers=_bearer(t1)))
    got = f("GET", f"/v1/members/{member.id}", headers=_bearer(t1))
    f.machine_calls.append(got)
    f.machine_calls.append(f("PATCH", f"/v1/members/{member.id}", json={"website": "https://log.example"},
                             headers={**_bearer(t1), "If-Match": got.headers["ETag"]}))
    f("GET", "/v1/me", headers=_bearer("not-a-token"))
    f("GET", f"/v1/me?access_token={t1}")  # refused (400), and the token must not reach the logs

    # Authorization code with PKCE: sign-in page, a wrong password, sign in, approve.
    verifier, challenge = pkce_pair()
    f.secret("code verifier", verifier)
    url = authorize_url(public.client_id, challenge, scope="members:read")
    page = f("GET", url)
    csrf = f.secret("csrf token", csrf_of(page.get_data(as_text=True)))
    f.secret("wrong password", "wrong password, 1234")
    f("POST", url, data={"email": user.email, "password": "wrong password, 1234", "csrf_token": csrf})
    consent = f("POST", url, data={"email": user.email, "password": DEFAULT_PASSWORD, "csrf_token": csrf})
    assert "approve" in consent.get_data(as_text=True)
    cookie = client.get_cookie("platform_session")
    if cookie is not None:
        f.secret("session cookie", cookie.value)
    form = decision_form(consent.get_data(as_text=True))
    f.secret("consent token", form["consent_token"])
    approved = f("POST", url, data=form)
    assert approved.status_code == 302, approved.get_data(as_text=True)
    code = f.secret("authorization code", parse_qs(urlsplit(approved.headers["Location"]).query)["code"][0])
    resp = f("POST", "/oauth/token", data={"grant_type": "authorization_code", "code": code, "code_verifier": verifier,
                                            "redirect_uri": "http://127.0.0.1:9000/callback", "client_id": public.client_id})
    assert resp.status_code == 200, resp.json
    t2 = f.secret("authorization-code access token", resp.json["access_token"])
    r2 = f.secret("refresh token", resp.json["refresh_token"])
    f.person_call = f("GET", "/v1/me", headers=_bearer(t2))
    resp = f("POST", "/oauth/token", data={"grant_type": "refresh_token", "refresh_token": r2, "client_id": public.client_id})
    assert resp.status_code == 200, resp.json
    f.secret("rotated access token", resp.json["access_token"])
    r3 = f.secret("rotated refresh token", resp.json["refresh_token"])
    f("POST", "/oauth/token", data={"grant_type": "refresh_token", "refresh_token": r2, "client_id": public.client_id})  # replay
    f("POST", "/oauth/introspect", data={"token": t1}, headers=_basic(confidential.client_id, secret))
    f("POST", "/oauth/revoke", data={"token": r3, "client_id": public.client_id})
    f("POST", "/oauth/token", data={"grant_type": "client_credentials"}, headers=_basic(confidential.client_id, "wrong"))
    f.records = list(caplog.records)
    return f


def _access_lines(f) -> dict[str, list[logging.LogRecord]]:
    by_id: dict[str, list[logging.LogRecord]] = {}
    for record in f.records:
        if record.name == ACCESS:
            by_id.setdefault(getattr(record, "request_id", None), []).append(record)
    return by_id


def test_one_access_line_per_request_with_its_fields(flow):
    lines = _access_lines(flow)
    assert len(flow.sent) >= 18
    for rid, resp in flow.sent:
        records = lines.get(rid, [])
        assert len(records) == 1, f"{rid}: {len(records)} access lines"
        record = records[0]
        data = json.loads(JsonFormatter().format(record))
        for key in FIELDS:
            assert data.get(key) is not None, f"{rid}: access line without {key}: {data}"
        assert data["status"] == resp.status_code
        assert data["level"] == "info" and data["logger"] == ACCESS and data["ts"].endswith("Z")
        assert data["route"].startswith("/") and data["path"].startswith("/")
        assert "?" not in data["path"], f"{rid}: the query string is logged: {data['path']}"
    # Every access line belongs to a request of the flow: no duplicates, no strays.
    assert set(lines) == {rid for rid, _ in flow.sent}


def test_api_lines_name_the_member_client_and_person(flow):
    lines = _access_lines(flow)
    ids = {id(resp): rid for rid, resp in flow.sent}
    for resp in flow.machine_calls:
        data = json.loads(JsonFormatter().format(lines[ids[id(resp)]][0]))
        assert data["member_id"] == flow.member.id, data
        assert data["client_id"] == flow.confidential.client_id, data
        assert "user_id" not in data
    data = json.loads(JsonFormatter().format(lines[ids[id(flow.person_call)]][0]))
    assert (data["member_id"], data["client_id"], data["user_id"]) == (flow.member.id, flow.public.client_id, flow.user.id)


def test_token_endpoint_lines_name_the_client(flow):
    lines = _access_lines(flow)
    rid = flow.sent[0][0]  # the client-credentials token request
    data = json.loads(JsonFormatter().format(lines[rid][0]))
    assert data.get("client_id") == flow.confidential.client_id, data


def _texts(record: logging.LogRecord) -> list[str]:
    out = [record.getMessage(), repr(record.args), record.exc_text or "", JsonFormatter().format(record)]
    out += [repr(v) for v in vars(record).values()]
    return out


def test_no_secret_appears_in_any_log_record(flow, caplog):
    assert len(flow.records) > len(flow.sent)  # DEBUG was on: more than the access lines were captured
    leaks = []
    for record in flow.records:
        texts = _texts(record)
        for name, value in flow.secrets.items():
            if any(value in text for text in texts):
                leaks.append(f"{name} in {record.name}:{record.levelname}: {record.getMessage()[:200]}")
    for name, value in flow.secrets.items():
        if value in caplog.text:
            leaks.append(f"{name} in the formatted log output")
    assert not leaks, "\n".join(leaks)


def test_authlib_token_dumps_stay_off_at_debug(app, caplog):
    """Authlib logs whole token responses at DEBUG: the app pins its logger to INFO."""
    caplog.set_level(logging.DEBUG)
    assert logging.getLogger("authlib").getEffectiveLevel() >= logging.INFO
    assert not logging.getLogger("authlib").isEnabledFor(logging.DEBUG)
