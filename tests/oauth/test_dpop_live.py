"""DPoP on a committed database, as in production (not the harness's rolled-back transaction):
used proofs are recorded on a connection of their own, so that every worker refuses a replay and
a failed request still spends its proof; on PostgreSQL the token fast path and the credential
cache are on, and neither lets a bound token through without its proof."""

from __future__ import annotations

import base64
import time
from types import SimpleNamespace

import pytest

from platform_api import create_app
from platform_api.db import get_db

from ..browser.live import add_client, add_member, committed_database, session_on
from ..contract import install_contract_check
from .dpop_client import DPoPKey


@pytest.fixture(scope="module")
def live(database_url, settings_overrides):
    postgres = database_url.startswith("postgresql")
    with committed_database(database_url, "dpop") as url:
        apps = [create_app({**settings_overrides, "database_url": url, "credential_cache": postgres})
                for _worker in range(2)]
        for application in apps:
            install_contract_check(application)
        try:
            yield SimpleNamespace(apps=apps, url=url, postgres=postgres)
        finally:
            for application in apps:
                cache = application.extensions["platform_credential_cache"]
                if cache is not None:
                    cache.close()
                get_db(application).dispose()


def _client(live, *, dpop: bool = False):
    with session_on(live.url) as s:
        client, secret = add_client(s, add_member(s), scopes=["members:read"])
        client.dpop_bound_access_tokens = dpop
        client_id = client.client_id
    return client_id, secret


def _token(live, worker: int, client_id: str, secret: str, headers: dict | None = None):
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return live.apps[worker].test_client().post(
        "/oauth/token", data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}", **(headers or {})})


def _get(live, worker: int, path: str, headers: dict):
    return live.apps[worker].test_client().get(path, headers=headers)


def test_a_proof_used_by_one_worker_is_refused_by_the_other(live):
    client_id, secret = _client(live)
    key = DPoPKey()
    proof = key.proof()
    first = _token(live, 0, client_id, secret, {"DPoP": proof})
    assert first.status_code == 200 and first.json["token_type"] == "DPoP", first.json
    again = _token(live, 1, client_id, secret, {"DPoP": proof})
    assert again.status_code == 400 and "already used" in again.json["error_description"]

    token = first.json["access_token"]
    headers = key.resource(token)
    assert _get(live, 1, "/v1/me", headers).status_code == 200
    replay = _get(live, 0, "/v1/me", headers)
    assert replay.status_code == 401 and 'error="invalid_dpop_proof"' in replay.headers["WWW-Authenticate"]


def test_a_request_that_fails_still_spends_its_proof(live):
    """The view's transaction rolls back on a 404; the proof's record was committed on its own."""
    client_id, secret = _client(live)
    key = DPoPKey()
    token = _token(live, 0, client_id, secret, key.headers()).json["access_token"]
    path = "/v1/members/00000000-0000-0000-0000-000000000000"
    headers = key.resource(token, path)
    assert _get(live, 0, path, headers).status_code == 404
    replay = _get(live, 1, path, headers)
    assert replay.status_code == 401 and "already used" in replay.json["detail"]


def test_a_client_registered_for_dpop_is_refused_on_the_fast_path(live):
    client_id, secret = _client(live, dpop=True)
    resp = _token(live, 0, client_id, secret)
    assert resp.status_code == 400 and resp.json["error"] == "invalid_dpop_proof"
    assert _token(live, 0, client_id, secret, DPoPKey().headers()).status_code == 200


def test_the_credential_cache_does_not_let_a_bound_token_through_without_its_proof(live):
    client_id, secret = _client(live)
    key = DPoPKey()
    token = _token(live, 0, client_id, secret, key.headers()).json["access_token"]
    cache = live.apps[0].extensions["platform_credential_cache"]
    deadline = time.monotonic() + 3
    while True:  # until the token's row is served from the worker's cache (PostgreSQL)
        hits = cache.hits if cache is not None else 0
        assert _get(live, 0, "/v1/me", key.resource(token)).status_code == 200
        if cache is None or cache.hits > hits:
            break
        assert time.monotonic() < deadline, "the token was never served from the cache"
    as_bearer = _get(live, 0, "/v1/me", {"Authorization": f"Bearer {token}"})
    assert as_bearer.status_code == 401 and as_bearer.headers["WWW-Authenticate"].startswith("DPoP ")
    other_key = _get(live, 0, "/v1/me", DPoPKey().resource(token))
    assert other_key.status_code == 401 and "key binding" in other_key.json["detail"]
    no_proof = _get(live, 0, "/v1/me", {"Authorization": f"DPoP {token}"})
    assert no_proof.status_code == 401
    stale = _get(live, 0, "/v1/me", key.resource(token, claims={"iat": int(time.time()) - 400}))
    assert stale.status_code == 401 and "too old" in stale.json["detail"]
