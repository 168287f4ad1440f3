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
