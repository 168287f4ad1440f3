"""Rate limits hold as configured whatever the number of workers (issue 15, finding 1).

gunicorn with four sync workers, on either database, without Redis: every request comes on a
connection of its own, so the workers share the load, and each limit lets exactly its number
through. Before the counters were shared by the host, each worker counted on its own and let
through up to four times as many.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
import requests
from requests.adapters import HTTPAdapter

from ..browser.live import add_client, add_member, add_token, add_user, committed_database, session_on
from ..oauth.helpers import REDIRECT, authorize_url, pkce_pair
from .conftest import _start, _stop

API_LIMIT = 40
LOGIN_LIMIT = 10


@pytest.fixture(scope="module")
def limited(database_url, tmp_path_factory):
    folder = tmp_path_factory.mktemp("limits")
    instance = folder / "instance"
    instance.mkdir()
    with committed_database(database_url, "limits") as url:
        with session_on(url) as s:
            member = add_member(s, name="Rate Limit Test University")
            client, secret = add_client(s, member, name="Limited back office")
            token = add_token(s, client)
            partner, _ = add_client(s, member, public=True, redirect_uris=[REDIRECT], name="Limited partner app")
            add_user(s, member, email="known@limits.example", password="a-long-enough-password")
            ids = SimpleNamespace(client_id=client.client_id, secret=secret, token=token, partner=partner.client_id)
        proc, port = _start(url, instance, folder / "gunicorn.log", workers=4, env_extra={
            "PLATFORM_RATE_LIMIT": f"{API_LIMIT}/minute", "PLATFORM_LOGIN_RATE_LIMIT": f"{LOGIN_LIMIT}/minute"})
        try:
            yield SimpleNamespace(url=f"http://127.0.0.1:{port}", log=folder / "gunicorn.log", **vars(ids))
        finally:
            _stop(proc, port)


class _From(HTTPAdapter):
    """Connections from one loopback address (127.0.0.0/8 is all this host's)."""

    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def _fresh(address: str = "127.0.0.1") -> requests.Session:
    http = requests.Session()
    http.mount("http://", _From(address))
    return http


def _statuses(responses) -> dict[int, int]:
    out: dict[int, int] = {}
    for resp in responses:
        out[resp.status_code] = out.get(resp.status_code, 0) + 1
    return out


def test_a_clients_api_limit_holds_across_the_workers(limited):
    headers = {"Authorization": f"Bearer {limited.token}", "Connection": "close"}
    responses = [requests.get(f"{limited.url}/v1/me", headers=headers, timeout=30) for _ in range(API_LIMIT * 2 + 20)]
    assert _statuses(responses) == {200: API_LIMIT, 429: API_LIMIT + 20}
    refused = [r for r in responses if r.status_code == 429]
    assert all(r.headers["Content-Type"].startswith("application/problem+json") and int(r.headers["Retry-After"]) >= 1
               for r in refused)


def test_wrong_secrets_at_the_token_endpoint_are_limited_across_the_workers(limited):
    responses = [requests.post(f"{limited.url}/oauth/token", data={"grant_type": "client_credentials"},
                               auth=(limited.client_id, "a-wrong-secret"), headers={"Connection": "close"}, timeout=30)
                 for _ in range(API_LIMIT + 30)]
    assert _statuses(responses) == {401: API_LIMIT, 429: 30}


def _sign_in_attempt(http: requests.Session, url: str, email: str) -> int:
    page = http.get(url, timeout=30)
    assert page.status_code == 200, page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    resp = http.post(url, data={"email": email, "password": "a-wrong-guess", "csrf_token": csrf}, timeout=30)
    if resp.status_code == 200:
        assert "incorrect" in resp.text  # evaluated, and refused
    return resp.status_code


def test_sign_in_attempts_from_one_address_are_limited_across_the_workers(limited):
    _verifier, challenge = pkce_pair()
    url = limited.url + authorize_url(limited.partner, challenge)
    statuses = []
    for i in range(3 * LOGIN_LIMIT):
        with _fresh("127.0.0.2") as http:  # a new session and connection each time, one address
            statuses.append(_sign_in_attempt(http, url, f"guess-{i}@limits.example"))
    assert statuses.count(200) == LOGIN_LIMIT and statuses.count(429) == 2 * LOGIN_LIMIT, statuses


def test_sign_in_attempts_on_one_email_are_limited_across_the_workers_and_addresses(limited):
    _verifier, challenge = pkce_pair()
    url = limited.url + authorize_url(limited.partner, challenge)
    statuses = []
    for i in range(3 * LOGIN_LIMIT):
        with _fresh(f"127.0.1.{i + 1}") as http:  # every attempt from another address
            statuses.append(_sign_in_attempt(http, url, "known@limits.example"))
    assert statuses.count(200) == LOGIN_LIMIT and statuses.count(429) == 2 * LOGIN_LIMIT, statuses
