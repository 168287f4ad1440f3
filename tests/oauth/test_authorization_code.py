from datetime import timedelta

from sqlalchemy import select

from platform_api.oauth.models import AuthorizationCode
from tests.factories.accounts import DEFAULT_PASSWORD, UserFactory
from tests.factories.members import MemberFactory
from tests.factories.oauth import make_public_client

from .helpers import (REDIRECT, approve, authorize_url, bearer, csrf_of, decision_form, exchange, get_code, pkce_pair,
                      query_of, sign_in)


def _partner_app():
    """An overseas partner's public app, approved by a person of another member."""
    return make_public_client(member=MemberFactory(name="Fraunhofer Partner Office", country="DE", kind="research_institute"))


def test_person_signs_in_approves_and_the_token_acts_for_them(client):
    app_client = _partner_app()
    user = UserFactory()
    code, verifier = get_code(client, app_client, user.email, DEFAULT_PASSWORD, scope="members:read")
    resp = exchange(client, app_client, code, verifier)
    assert resp.status_code == 200, resp.json
    assert resp.json["scope"] == "members:read"
    assert resp.json["refresh_token"]
    me = client.get("/v1/me", headers=bearer(resp.json["access_token"])).json
    assert me["person"]["email"] == user.email
    assert me["member"]["id"] == user.member.id
    assert me["client"]["client_id"] == app_client.client_id


def test_consent_page_names_app_owner_and_scopes_in_plain_words(client):
    app_client = _partner_app()
    user = UserFactory()
    _v, challenge = pkce_pair()
    page = sign_in(client, authorize_url(app_client.client_id, challenge, scope="members:read members:write"), user.email, DEFAULT_PASSWORD)
    html = page.get_data(as_text=True)
    assert app_client.name in html
    assert "Fraunhofer Partner Office" in html and "overseas partner" in html
    assert "See the member directory" in html and "Change your institution" in html
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    # Browsers apply form-action to the redirect that answers the consent form: it must name
    # the client's origin, or the person never gets back to the app.
    assert "form-action 'self' http://127.0.0.1:9000" in page.headers["Content-Security-Policy"]


def test_deny_redirects_with_access_denied(client):
    app_client = _partner_app()
    user = UserFactory()
    _v, challenge = pkce_pair()
    resp = approve(client, authorize_url(app_client.client_id, challenge), user.email, DEFAULT_PASSWORD, decision="deny")
    assert resp.status_code == 302
    params = query_of(resp.headers["Location"])
    assert resp.headers["Location"].startswith(REDIRECT)
    assert params["error"] == "access_denied" and params["state"] == "st-123"
    assert "code" not in params


def test_wrong_password_and_unknown_email_read_the_same(client):
    app_client = _partner_app()
    user = UserFactory()
    _v, challenge = pkce_pair()
    url = authorize_url(app_client.client_id, challenge)
    wrong = sign_in(client, url, user.email, "not the password at all").get_data(as_text=True)
    unknown = sign_in(client, url, "nobody@nowhere.example", "not the password at all").get_data(as_text=True)
    assert "The e-mail or password is incorrect." in wrong
    assert "The e-mail or password is incorrect." in unknown
    assert 'value="approve"' not in wrong


def test_suspended_members_people_cannot_sign_in(client, db_session):
    app_client = _partner_app()
    user = UserFactory()
    user.member.status = "suspended"
    db_session.flush()
    _v, challenge = pkce_pair()
    html = sign_in(client, authorize_url(app_client.client_id, challenge), user.email, DEFAULT_PASSWORD).get_data(as_text=True)
    assert "The e-mail or password is incorrect." in html


def test_missing_csrf_token_is_refused(client):
    app_client = _partner_app()
    user = UserFactory()
    _v, challenge = pkce_pair()
    url = authorize_url(app_client.client_id, challenge)
    client.get(url)
    resp = client.post(url, data={"email": user.email, "password": DEFAULT_PASSWORD})
    assert resp.status_code == 400
    assert "expired" in resp.get_data(as_text=True)


def test_unknown_client_gets_an_error_page_not_a_redirect(client):
    _v, challenge = pkce_pair()
    resp = client.get(authorize_url("cl_does_not_exist", challenge))
    assert resp.status_code == 400
    assert "Location" not in resp.headers
    assert resp.mimetype == "text/html"


def test_unregistered_redirect_uri_gets_an_error_page_not_a_redirect(client):
    app_client = _partner_app()
    _v, challenge = pkce_pair()
    for uri in ("https://evil.example/cb", REDIRECT + "/extra", REDIRECT + "?x=1"):
        resp = client.get(authorize_url(app_client.client_id, challenge, redirect_uri=uri))
        assert resp.status_code == 400, uri
        assert "Location" not in resp.headers


def test_pkce_is_required_with_s256(client):
    app_client = _partner_app()
    _v, challenge = pkce_pair()
    for url in (
        authorize_url(app_client.client_id, None, method=None),
        authorize_url(app_client.client_id, challenge, method=None),
        authorize_url(app_client.client_id, challenge, method="plain"),
    ):
        resp = client.get(url)
        assert resp.status_code == 302, url
        assert query_of(resp.headers["Location"])["error"] == "invalid_request"


def test_wrong_or_missing_verifier_is_refused(client):
    app_client = _partner_app()
    user = UserFactory()
    code, _verifier = get_code(client, app_client, user.email, DEFAULT_PASSWORD)
    assert exchange(client, app_client, code, "x" * 50).json["error"] == "invalid_grant"
    code2, _v2 = get_code(client, app_client, user.email, DEFAULT_PASSWORD)
    resp = exchange(client, app_client, code2, None)
    assert resp.status_code == 400 and resp.json["error"] == "invalid_request"


def test_replayed_code_is_refused_and_revokes_its_tokens(client):
    app_client = _partner_app()
    user = UserFactory()
    code, verifier = get_code(client, app_client, user.email, DEFAULT_PASSWORD)
    first = exchange(client, app_client, code, verifier).json
    assert client.get("/v1/me", headers=bearer(first["access_token"])).status_code == 200
    replay = exchange(client, app_client, code, verifier)
    assert replay.status_code == 400 and replay.json["error"] == "invalid_grant"
    assert client.get("/v1/me", headers=bearer(first["access_token"])).status_code == 401
    refresh = client.post("/oauth/token", data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"], "client_id": app_client.client_id})
    assert refresh.status_code == 400


def test_expired_code_is_refused(client, db_session):
    app_client = _partner_app()
    user = UserFactory()
    code, verifier = get_code(client, app_client, user.email, DEFAULT_PASSWORD)
    row = db_session.scalars(select(AuthorizationCode)).one()
    assert row.expires_at - row.created_at == timedelta(minutes=10)
    row.expires_at = row.created_at - timedelta(seconds=1)
    db_session.flush()
    resp = exchange(client, app_client, code, verifier)
    assert resp.status_code == 400 and resp.json["error"] == "invalid_grant"


def test_code_is_bound_to_its_redirect_uri(client):
    app_client = make_public_client(redirect_uris=[REDIRECT, "http://127.0.0.1:9000/other"])
    user = UserFactory()
    code, verifier = get_code(client, app_client, user.email, DEFAULT_PASSWORD)
    resp = exchange(client, app_client, code, verifier, redirect_uri="http://127.0.0.1:9000/other")
    assert resp.status_code == 400 and resp.json["error"] == "invalid_grant"


def test_scope_beyond_the_client_is_refused_at_authorize(client):
    app_client = make_public_client(scopes=["members:read"])
    _v, challenge = pkce_pair()
    resp = client.get(authorize_url(app_client.client_id, challenge, scope="members:read referrals:read"))
    assert resp.status_code == 302
    assert query_of(resp.headers["Location"])["error"] == "invalid_scope"


def test_codes_are_stored_only_as_hashes(client, connection):
    from sqlalchemy import text

    app_client = _partner_app()
    user = UserFactory()
    code, _verifier = get_code(client, app_client, user.email, DEFAULT_PASSWORD)
    dump = " ".join(str(v) for row in connection.execute(text("SELECT * FROM oauth_authorization_codes")) for v in row)
    assert code not in dump


def test_sign_in_is_throttled(make_app):
    app = make_app(login_rate_limit="3/minute")
    c = app.test_client()
    app_client = _partner_app()
    _v, challenge = pkce_pair()
    url = authorize_url(app_client.client_id, challenge)
    page = c.get(url)
    token = csrf_of(page.get_data(as_text=True))
    statuses = [c.post(url, data={"email": "x@y.example", "password": "guess-" + str(i), "csrf_token": token}).status_code for i in range(5)]
    assert statuses[:3] == [200, 200, 200]
    assert statuses[3] == 429
    last = c.post(url, data={"email": "x@y.example", "password": "guess", "csrf_token": token})
    assert last.status_code == 429 and int(last.headers["Retry-After"]) >= 1


def test_switch_account_signs_out(client):
    app_client = _partner_app()
    user = UserFactory()
    _v, challenge = pkce_pair()
    url = authorize_url(app_client.client_id, challenge)
    html = sign_in(client, url, user.email, DEFAULT_PASSWORD).get_data(as_text=True)
    resp = client.post(url, data={"action": "switch", "csrf_token": csrf_of(html)})
    assert 'name="password"' in resp.get_data(as_text=True)
    assert 'name="password"' in client.get(url).get_data(as_text=True)


def test_every_authorization_response_names_the_issuer(client, app):
    """RFC 9207 (issue 15, item 7): approval, denial and redirected errors all carry `iss`."""
    issuer = app.config["PLATFORM"].issuer
    app_client = _partner_app()
    user = UserFactory()
    _v, challenge = pkce_pair()
    approved = approve(client, authorize_url(app_client.client_id, challenge), user.email, DEFAULT_PASSWORD)
    denied = approve(client, authorize_url(app_client.client_id, challenge), user.email, DEFAULT_PASSWORD, decision="deny")
    refused = client.get(authorize_url(app_client.client_id, challenge, scope="no-such-scope"))
    for resp, key in ((approved, "code"), (denied, "error"), (refused, "error")):
        assert resp.status_code == 302 and resp.headers["Location"].startswith(REDIRECT)
        params = query_of(resp.headers["Location"])
        assert params["iss"] == issuer and key in params
    metadata = client.get("/.well-known/oauth-authorization-server").json
    assert metadata["authorization_response_iss_parameter_supported"] is True


def _consent_page(client, app_client, user, challenge, state="st-123"):
    url = authorize_url(app_client.client_id, challenge, state=state)
    page = sign_in(client, url, user.email, DEFAULT_PASSWORD)
    assert 'value="approve"' in page.get_data(as_text=True)
    return url, page.get_data(as_text=True)


def test_a_consent_approves_only_the_request_it_was_shown_for(client):
    """Issue 15 finding 8: the token of one consent page does not approve another authorize
    request (a new state or challenge), posted without its page ever being shown."""
    app_client, user = _partner_app(), UserFactory()
    _v, challenge = pkce_pair()
    _url, html = _consent_page(client, app_client, user, challenge)
    form = decision_form(html)
    _v2, other_challenge = pkce_pair()
    for other in (authorize_url(app_client.client_id, other_challenge),
                  authorize_url(app_client.client_id, challenge, state="attacker-state"),
                  authorize_url(app_client.client_id, challenge, scope="members:read")):
        resp = client.post(other, data=form)
        assert resp.status_code == 400 and "consent page" in resp.get_data(as_text=True), other
        assert "Location" not in resp.headers


def test_a_consent_is_used_once(client):
    app_client, user = _partner_app(), UserFactory()
    _v, challenge = pkce_pair()
    url, html = _consent_page(client, app_client, user, challenge)
    form = decision_form(html)
    first = client.post(url, data=form)
    assert first.status_code == 302 and "code=" in first.headers["Location"]
    again = client.post(url, data=form)
    assert again.status_code == 400 and "Location" not in again.headers
    # the page shown anew gives a new token, which works
    page = client.get(url)
    assert client.post(url, data=decision_form(page.get_data(as_text=True))).status_code == 302


def test_a_decision_without_its_consent_token_is_refused(client):
    app_client, user = _partner_app(), UserFactory()
    _v, challenge = pkce_pair()
    url, html = _consent_page(client, app_client, user, challenge)
    for form in ({**decision_form(html), "consent_token": ""}, {"decision": "approve", "csrf_token": csrf_of(html)},
                 {**decision_form(html), "consent_token": "x" * 43}):
        resp = client.post(url, data=form)
        assert resp.status_code == 400 and "Location" not in resp.headers, form
