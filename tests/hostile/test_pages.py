"""Markup in stored names and in request input is escaped on the HTML pages (the sign-in,
consent and error pages of /oauth/authorize); JSON carries it unchanged."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from tests.factories.accounts import DEFAULT_PASSWORD, UserFactory
from tests.factories.members import MemberFactory
from tests.factories.oauth import make_public_client
from tests.oauth.helpers import REDIRECT, csrf_of, pkce_pair

from .conftest import assert_no_leak

MARKUP = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&"
RAW_TAGS = re.compile(r"<script>alert|<img src=x", re.IGNORECASE)


def _authorize(client_id: str, **extra) -> str:
    _verifier, challenge = pkce_pair()
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT, "state": "s",
              "code_challenge": challenge, "code_challenge_method": "S256", **extra}
    return "/oauth/authorize?" + urlencode(params)


def _page(resp, where: str) -> str:
    assert_no_leak(resp, where)
    assert resp.mimetype == "text/html", f"{where}: {resp.mimetype}"
    html = resp.get_data(as_text=True)
    found = RAW_TAGS.search(html)
    assert found is None, f"{where}: unescaped markup {found.group(0)!r} in the page"
    return html


def test_names_with_markup_are_escaped_on_the_sign_in_and_consent_pages(client):
    owner = MemberFactory(name="Owner " + MARKUP, country="DE")
    home = MemberFactory(name="Home " + MARKUP)
    user = UserFactory(member=home, email="markup.person@member.example")
    oauth_client = make_public_client(member=owner, name="App " + MARKUP, scopes=["members:read"])
    url = _authorize(oauth_client.client_id)

    signin = _page(client.get(url), "the sign-in page")
    assert "App &lt;script&gt;alert(1)&lt;/script&gt;" in signin

    consent = client.post(url, data={"email": user.email, "password": DEFAULT_PASSWORD, "csrf_token": csrf_of(signin)})
    html = _page(consent, "the consent page")
    assert "Allow App &lt;script&gt;" in html and "Home &lt;script&gt;" in html and "Owner &lt;script&gt;" in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html


def test_typed_input_is_escaped_when_the_sign_in_page_shows_it_again(client):
    oauth_client = make_public_client(member=MemberFactory(), scopes=["members:read"])
    url = _authorize(oauth_client.client_id)
    page = client.get(url).get_data(as_text=True)
    email = '"><script>alert(1)</script>@x.example'
    resp = client.post(url, data={"email": email, "password": "whatever-password", "csrf_token": csrf_of(page)})
    html = _page(resp, "the sign-in page after a failed sign-in")
    assert 'value="&#34;&gt;&lt;script&gt;' in html or 'value="&quot;&gt;&lt;script&gt;' in html, html


def test_hostile_authorization_requests_get_escaped_error_pages(client):
    oauth_client = make_public_client(member=MemberFactory(), scopes=["members:read"])
    for url in (
        "/oauth/authorize?" + urlencode({"response_type": "code", "client_id": MARKUP}),
        _authorize(oauth_client.client_id, redirect_uri="https://evil.example/<script>alert(1)</script>"),
        _authorize(oauth_client.client_id, scope="<script>alert(1)</script>"),
        _authorize(oauth_client.client_id, state=MARKUP),
        _authorize(oauth_client.client_id, code_challenge=MARKUP),
    ):
        resp = client.get(url)
        assert resp.status_code in (200, 302, 400), f"{url}: {resp.status_code}"
        if resp.status_code == 302:
            # Back to the registered redirect URI only, with the input percent-encoded.
            location = resp.headers["Location"]
            assert location.startswith(REDIRECT + "?"), location
            assert "<" not in location and ">" not in location, location
        else:
            _page(resp, url)


def test_problem_documents_carry_markup_as_json_text(client):
    resp = client.get("/v1/<script>alert(1)</script>")
    assert resp.status_code == 404 and resp.mimetype == "application/problem+json"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    resp = client.get("/problems/<script>alert(1)</script>")
    assert resp.status_code == 404
    assert "<script>" not in resp.get_data(as_text=True) or resp.mimetype != "text/html"
