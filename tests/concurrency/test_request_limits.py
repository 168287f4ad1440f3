"""The longest requests openapi.yaml calls valid reach the app under gunicorn with
config/gunicorn.conf.py (PostgreSQL only, like every gunicorn test).

tests/api/test_limits.py computes each operation's longest valid request line from the document;
here the two longest are sent for real: each answer must come from the app (a problem document,
or the authorization error page, with X-Request-ID), never from gunicorn's own 400.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests

from ..api.test_limits import gunicorn_setting
from ..browser.live import add_client, add_member, add_token, committed_database, session_on
from .conftest import ROOT, _start, _stop

EMOJI = "\U0001f600"  # 4 bytes of UTF-8: 12 on the request line


def _request_line(resp: requests.Response) -> int:
    url = urlsplit(resp.request.url)
    return len(resp.request.method) + 1 + len(url.path) + 1 + len(url.query) + len(" HTTP/1.1")


@pytest.fixture(scope="module")
def server(database_url, tmp_path_factory):
    if not database_url.startswith("postgresql"):
        pytest.skip("gunicorn tests need PostgreSQL: set DATABASE_URL=postgresql+psycopg://...")
    folder = tmp_path_factory.mktemp("limits")
    with committed_database(database_url, "lim") as url:
        with session_on(url) as s:
            client, _secret = add_client(s, add_member(s, name="Limits Test University"), name="Limits client")
            token = add_token(s, client)
        proc, port = _start(url, folder / "instance", folder / "gunicorn.log", workers=1,
                            args=("-c", str(ROOT / "config" / "gunicorn.conf.py")))
        try:
            yield f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {token}"}
        finally:
            _stop(proc, port)


def test_the_longest_valid_search_reaches_the_app(server):
    base, auth = server
    params = {
        "limit": "100", "cursor": "A" * 1024, "q": EMOJI * 200, "field": "intelligent_manufacturing",
        "trl_min": "1", "trl_max": "9", "deal_type": "non_exclusive_license", "office": "CN", "country": "DE",
        "owner": "0" * 8 + "-0000-0000-0000-" + "0" * 12, "status": "transacted", "mine": "false",
        "price_max": "0" * 29 + "1.5", "currency": "EUR", "sort": "relevance",
    }
    resp = requests.get(f"{base}/v1/technologies", params=params, headers=auth, timeout=30)
    assert _request_line(resp) > 3500
    # The app answered (on an empty catalogue the foreign cursor is never read: an empty page).
    assert resp.status_code in (200, 400) and resp.headers.get("X-Request-ID"), resp.text[:300]
    assert resp.headers["Content-Type"] in ("application/json", "application/problem+json")


def test_the_longest_valid_authorization_request_reaches_the_app(server):
    base, _auth = server
    params = {
        "response_type": "code", "client_id": EMOJI * 64, "redirect_uri": "https://example.org/" + "#" * 1004,
        "scope": "!" * 512, "state": '"' * 512, "code_challenge": "A" * 128, "code_challenge_method": "S256",
    }
    resp = requests.get(f"{base}/oauth/authorize", params=params, timeout=30, allow_redirects=False)
    assert _request_line(resp) > 6000
    assert resp.status_code == 400 and resp.headers.get("X-Request-ID"), resp.text[:300]
    assert "text/html" in resp.headers["Content-Type"]  # the app's error page (unknown client)


def test_a_cursor_past_the_bound_is_refused_by_the_app_while_it_fits(server):
    base, auth = server
    resp = requests.get(f"{base}/v1/members", params={"cursor": "\u00e9" * 500}, headers=auth, timeout=30)
    assert resp.status_code == 400 and resp.headers.get("X-Request-ID")
    assert {e.get("parameter") for e in resp.json()["errors"]} == {"cursor"}


def test_past_the_request_line_limit_gunicorn_answers_by_itself(server):
    """Why the bounds matter: the 2,000 non-ASCII characters the cursor allowed before."""
    base, auth = server
    resp = requests.get(f"{base}/v1/members", params={"cursor": "\u00e9" * 2000}, headers=auth, timeout=30)
    assert _request_line(resp) > gunicorn_setting("limit_request_line")
    assert resp.status_code == 400 and "X-Request-ID" not in resp.headers
