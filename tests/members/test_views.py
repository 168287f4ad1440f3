from tests.factories.members import MemberFactory
from tests.factories.oauth import ClientFactory, make_token


def auth(value: str) -> dict:
    return {"Authorization": f"Bearer {value}"}


def test_me_describes_the_token(client):
    oauth_client = ClientFactory(scopes=["members:read"])
    _token, value = make_token(oauth_client)
    resp = client.get("/v1/me", headers=auth(value))
    assert resp.status_code == 200, resp.json
    body = resp.json
    assert body["member"]["id"] == oauth_client.member.id
    assert body["client"]["client_id"] == oauth_client.client_id
    assert body["person"] is None
    assert body["scopes"] == ["members:read"]
    assert resp.headers["Cache-Control"] == "no-store"


def test_me_without_token_is_401_problem(client):
    resp = client.get("/v1/me")
    assert resp.status_code == 401
    assert resp.mimetype == "application/problem+json"
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")


def test_directory_lists_active_members_only(client):
    active = MemberFactory(name="Tsinghua Tech Transfer")
    MemberFactory(name="Pending Org", status="pending")
    _t, value = make_token(ClientFactory(member=active))
    resp = client.get("/v1/members", headers=auth(value))
    assert resp.status_code == 200
    names = [m["name"] for m in resp.json["data"]]
    assert "Tsinghua Tech Transfer" in names and "Pending Org" not in names


def _member_token(scopes=("members:read", "members:write"), **member_kwargs):
    member = MemberFactory(**member_kwargs)
    _t, value = make_token(ClientFactory(member=member), scopes=list(scopes))
    return member, value


def test_directory_filters_by_kind_country_and_text(client):
    _me, value = _member_token()
    MemberFactory(name="Shanghai Jiao Tong University", kind="university", country="CN")
    MemberFactory(name="深圳知识产权运营基金", kind="investor", country="CN")
    MemberFactory(name="Munich IP Fund", kind="investor", country="DE")
    body = client.get("/v1/members?kind=investor&country=DE", headers=auth(value)).json
    assert [m["name"] for m in body["data"]] == ["Munich IP Fund"]
    assert body["data"][0]["overseas"] is True
    body = client.get("/v1/members?q=知识产权", headers=auth(value)).json
    assert [m["name"] for m in body["data"]] == ["深圳知识产权运营基金"]
    body = client.get("/v1/members?q=jiao%20tong", headers=auth(value)).json
    assert [m["name"] for m in body["data"]] == ["Shanghai Jiao Tong University"]


def test_directory_rejects_bad_parameters(client):
    _me, value = _member_token()
    for query, param in (("limit=0", "limit"), ("limit=101", "limit"), ("limit=abc", "limit"), ("kind=bank", "kind"),
                         ("country=cn", "country"), ("sort=name", "sort"), ("cursor=forged", "cursor")):
        resp = client.get(f"/v1/members?{query}", headers=auth(value))
        assert resp.status_code == 400, query
        assert resp.mimetype == "application/problem+json"
        assert resp.json["errors"][0]["parameter"] == param, query


def test_pages_walk_the_whole_directory_without_repeats(client):
    _me, value = _member_token()
    for i in range(7):
        MemberFactory(name=f"Paged {i}", kind="enterprise", country="JP")
    seen, url = [], "/v1/members?country=JP&limit=3"
    while url:
        resp = client.get(url, headers=auth(value))
        assert resp.status_code == 200
        seen += [m["name"] for m in resp.json["data"]]
        cursor = resp.json["next_cursor"]
        if cursor:
            assert 'rel="next"' in resp.headers["Link"]
            url = f"/v1/members?country=JP&limit=3&cursor={cursor}"
        else:
            assert "Link" not in resp.headers
            url = None
    assert sorted(seen) == sorted(f"Paged {i}" for i in range(7))
    assert len(seen) == 7


def test_the_next_link_is_built_from_the_issuer_not_the_host_header(client, app):
    """Issue 15 finding 4: `Host: evil.example` used to come back in the Link header."""
    _me, value = _member_token()
    for i in range(3):
        MemberFactory(name=f"Linked {i}", kind="enterprise", country="KR")
    resp = client.get("/v1/members?country=KR&limit=2", headers={**auth(value), "Host": "evil.example"})
    assert resp.status_code == 200 and resp.json["next_cursor"]
    issuer = app.config["PLATFORM"].issuer
    assert resp.headers["Link"].startswith(f"<{issuer}/v1/members?") and "evil.example" not in resp.headers["Link"]


def test_cursor_is_refused_for_another_caller_or_query(client):
    _me, value = _member_token()
    _other, other_value = _member_token()
    for i in range(3):
        MemberFactory(name=f"Cursor {i}", country="KR")
    cursor = client.get("/v1/members?country=KR&limit=1", headers=auth(value)).json["next_cursor"]
    assert cursor
    assert client.get(f"/v1/members?country=KR&limit=1&cursor={cursor}", headers=auth(value)).status_code == 200
    assert client.get(f"/v1/members?country=KR&limit=1&cursor={cursor}", headers=auth(other_value)).status_code == 400
    assert client.get(f"/v1/members?country=FR&limit=1&cursor={cursor}", headers=auth(value)).status_code == 400


def test_member_scope_is_required(client):
    _me, value = _member_token(scopes=("technologies:read",))
    resp = client.get("/v1/members", headers=auth(value))
    assert resp.status_code == 403
    assert 'error="insufficient_scope"' in resp.headers["WWW-Authenticate"]
    assert resp.json["type"] == "/problems/insufficient-scope"


def test_pending_and_unknown_members_are_404_alike(client):
    _me, value = _member_token()
    pending = MemberFactory(status="pending")
    a = client.get(f"/v1/members/{pending.id}", headers=auth(value))
    b = client.get("/v1/members/00000000-0000-4000-8000-000000000000", headers=auth(value))
    c = client.get("/v1/members/not-a-uuid%00", headers=auth(value))
    assert a.status_code == b.status_code == c.status_code == 404
    assert a.json["detail"] == b.json["detail"]


def test_own_profile_shows_private_fields_and_others_do_not(client):
    me, value = _member_token()
    other = MemberFactory()
    own = client.get(f"/v1/members/{me.id}", headers=auth(value))
    assert own.json["status"] == "active" and own.json["email"] == me.email
    assert own.headers["ETag"]
    theirs = client.get(f"/v1/members/{other.id}", headers=auth(value)).json
    assert "email" not in theirs and "status" not in theirs


def test_patch_own_profile_with_if_match(client):
    me, value = _member_token()
    etag = client.get(f"/v1/members/{me.id}", headers=auth(value)).headers["ETag"]
    body = {"description": {"en": "Technology transfer office", "zh": "技术转移中心"}, "website": "https://tto.example.edu",
            "contact": {"name": "Li Wei", "email": "li.wei@tto.example.edu", "phone": "+86 10 6278 0000"}}
    resp = client.patch(f"/v1/members/{me.id}", json=body, headers={**auth(value), "If-Match": etag})
    assert resp.status_code == 200, resp.json
    assert resp.json["description"]["zh"] == "技术转移中心"
    assert resp.headers["ETag"] != etag
    again = client.get(f"/v1/members/{me.id}", headers=auth(value)).json
    assert again["contact"]["name"] == "Li Wei"
    stale = client.patch(f"/v1/members/{me.id}", json={"website": None}, headers={**auth(value), "If-Match": etag})
    assert stale.status_code == 412


def test_patch_needs_if_match(client):
    me, value = _member_token()
    resp = client.patch(f"/v1/members/{me.id}", json={"website": None}, headers=auth(value))
    assert resp.status_code == 428


def test_patch_another_members_profile_is_403(client):
    _me, value = _member_token()
    other = MemberFactory()
    etag = client.get(f"/v1/members/{other.id}", headers=auth(value)).headers["ETag"]
    resp = client.patch(f"/v1/members/{other.id}", json={"website": None}, headers={**auth(value), "If-Match": etag})
    assert resp.status_code == 403


def test_patch_validation_points_at_fields(client):
    me, value = _member_token()
    etag = client.get(f"/v1/members/{me.id}", headers=auth(value)).headers["ETag"]
    h = {**auth(value), "If-Match": etag}
    cases = [
        ({"status": "active"}, "/status", "Read-only"),
        ({"name": "New name"}, "/name", "Read-only"),
        ({"colour": "blue"}, "/colour", "Unknown field"),
        ({"website": "javascript:alert(1)"}, "/website", "http"),
        ({"description": {"xx-invalid-tag-!": "x"}}, "/description/xx-invalid-tag-!", "language"),
        ({"description": {}}, "/description", "at least one"),
        ({"description": {"en": "a\u0000b"}}, "/description/en", "control"),
        ({"description": {"en": "x" * 5001}}, "/description/en", "at most"),
        ({"contact": {"email": "not-an-email"}}, "/contact/email", ""),
        ({}, "", "at least one field"),
    ]
    for body, pointer, words in cases:
        resp = client.patch(f"/v1/members/{me.id}", json=body, headers=h)
        assert resp.status_code == 422, body
        pointers = {e["pointer"]: e["detail"] for e in resp.json["errors"]}
        assert pointer in pointers, (body, pointers)
        assert words.lower() in pointers[pointer].lower(), (body, pointers)
    assert client.get(f"/v1/members/{me.id}", headers=auth(value)).headers["ETag"] == etag


def test_patch_body_format_errors(client):
    me, value = _member_token()
    etag = client.get(f"/v1/members/{me.id}", headers=auth(value)).headers["ETag"]
    h = {**auth(value), "If-Match": etag}
    assert client.patch(f"/v1/members/{me.id}", data="website=x", headers=h, content_type="application/x-www-form-urlencoded").status_code == 415
    assert client.patch(f"/v1/members/{me.id}", data="{bad json", headers=h, content_type="application/json").status_code == 400
    assert client.patch(f"/v1/members/{me.id}", data=b'{"website": "\xff"}', headers=h, content_type="application/json").status_code == 400
    assert client.patch(f"/v1/members/{me.id}", data="[1, 2]", headers=h, content_type="application/json").status_code == 400
    deep = '{"description": ' + '{"en": ' * 40 + '"x"' + "}" * 41
    assert client.patch(f"/v1/members/{me.id}", data=deep, headers=h, content_type="application/json").status_code == 400
    big = '{"website": "' + "a" * (1024 * 1024 + 10) + '"}'
    resp = client.patch(f"/v1/members/{me.id}", data=big, headers=h, content_type="application/json")
    assert resp.status_code == 413 and resp.mimetype == "application/problem+json"
