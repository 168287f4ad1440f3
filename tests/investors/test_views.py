from platform_api.investors import services
from tests.factories.investors import InvestorFactory, make_profile, profile_body, token_for
from tests.factories.members import MemberFactory

MISSING = "00000000-0000-4000-8000-000000000000"


def investor(**kwargs):
    member = InvestorFactory(**kwargs)
    return member, token_for(member)


def test_an_investor_creates_a_profile(client):
    fund, h = investor()
    body = profile_body(keywords=["solid-state battery", "固态电池"])
    resp = client.post("/v1/investor-profiles", json=body, headers=h)
    assert resp.status_code == 201, resp.json
    data = resp.json
    assert data["owner"] == {"id": fund.id, "name": fund.name, "country": "CN", "overseas": False}
    assert data["active"] is True
    assert data["fields"] == ["new_energy", "green_low_carbon"]
    assert data["ticket_min"] == {"amount": "1000000.00", "currency": "CNY"}
    assert data["keywords"] == ["solid-state battery", "固态电池"]
    assert resp.headers["Location"].endswith(f"/v1/investor-profiles/{data['id']}")
    again = client.get(f"/v1/investor-profiles/{data['id']}", headers=h)
    assert again.status_code == 200 and again.json == data
    assert again.headers["ETag"] == resp.headers["ETag"]


def test_a_financial_institution_may_keep_profiles_too(client):
    _bank, h = investor(kind="financial_institution", name="Bank of Cross-Border IP")
    body = profile_body(deal_types=["pledge_financing"])
    assert client.post("/v1/investor-profiles", json=body, headers=h).status_code == 201


def test_other_kinds_of_member_are_refused_with_the_reason(client):
    uni = MemberFactory(kind="university", name="Zhejiang University")
    h = token_for(uni)
    resp = client.post("/v1/investor-profiles", json=profile_body(), headers=h)
    assert resp.status_code == 403
    assert resp.json["type"] == "/problems/forbidden"
    assert "investor or financial_institution" in resp.json["detail"] and "university" in resp.json["detail"]


def test_validation_points_at_each_bad_field(client):
    _fund, h = investor()
    cases = [
        ({"trl_min": 7, "trl_max": 5}, "/trl_min"),
        ({"trl_min": 0}, "/trl_min"),
        ({"trl_max": "8"}, "/trl_max"),
        ({"ticket_max": {"amount": "5000000.00", "currency": "EUR"}}, "/ticket_max/currency"),
        ({"ticket_min": {"amount": "9000000.00", "currency": "CNY"}}, "/ticket_min/amount"),
        ({"ticket_min": {"amount": 100, "currency": "CNY"}}, "/ticket_min/amount"),
        ({"fields": []}, "/fields"),
        ({"fields": ["nanotech"]}, "/fields/0"),
        ({"fields": ["robotics", "robotics"]}, "/fields"),
        ({"deal_types": ["sale"]}, "/deal_types/0"),
        ({"countries": ["China"]}, "/countries/0"),
        ({"keywords": ["battery", "Battery"]}, "/keywords"),
        ({"active": "true"}, "/active"),
        ({"active": 1}, "/active"),
        ({"description": {"xx-1": "x"}}, "/description/xx-1"),
        ({"name": " "}, "/name"),
        ({"id": MISSING}, "/id"),
        ({"owner": {"id": MISSING}}, "/owner"),
    ]
    for override, pointer in cases:
        resp = client.post("/v1/investor-profiles", json=profile_body(**override), headers=h)
        assert resp.status_code == 422, (override, resp.json)
        assert pointer in [e["pointer"] for e in resp.json["errors"]], (override, resp.json["errors"])
    missing = client.post("/v1/investor-profiles", json={"name": "x"}, headers=h)
    pointers = {e["pointer"] for e in missing.json["errors"]}
    assert {"/fields", "/trl_min", "/trl_max", "/ticket_min", "/ticket_max", "/deal_types"} <= pointers
    read_only = client.post("/v1/investor-profiles", json=profile_body(id=MISSING), headers=h)
    assert read_only.json["errors"][0]["detail"].startswith("Read-only field")
    assert client.get("/v1/investor-profiles?mine=true", headers=h).json["data"] == []


def test_idempotent_create_never_makes_two_profiles(client):
    _fund, h = investor()
    body = profile_body()
    first = client.post("/v1/investor-profiles", json=body, headers={**h, "Idempotency-Key": "p-1"})
    second = client.post("/v1/investor-profiles", json=body, headers={**h, "Idempotency-Key": "p-1"})
    assert first.status_code == second.status_code == 201
    assert second.headers["Idempotent-Replayed"] == "true" and second.json["id"] == first.json["id"]
    other = client.post("/v1/investor-profiles", json=profile_body(name="Other"), headers={**h, "Idempotency-Key": "p-1"})
    assert other.status_code == 422
    assert len(client.get("/v1/investor-profiles?mine=true", headers=h).json["data"]) == 1


def test_inactive_profiles_are_seen_by_their_owner_only(client):
    fund, h = investor()
    _other, other_h = investor()
    hidden = make_profile(fund, active=False)
    shown = make_profile(fund)
    assert client.get(f"/v1/investor-profiles/{hidden.id}", headers=h).json["active"] is False
    resp = client.get(f"/v1/investor-profiles/{hidden.id}", headers=other_h)
    missing = client.get(f"/v1/investor-profiles/{MISSING}", headers=other_h)
    assert resp.status_code == missing.status_code == 404
    assert resp.json["detail"] == missing.json["detail"]
    assert client.get(f"/v1/investor-profiles/{shown.id}", headers=other_h).status_code == 200
    listed = {p["id"] for p in client.get("/v1/investor-profiles", headers=other_h).json["data"]}
    assert shown.id in listed and hidden.id not in listed
    assert client.get("/v1/investor-profiles?active=false", headers=other_h).json["data"] == []
    own_inactive = client.get("/v1/investor-profiles?active=false", headers=h).json["data"]
    assert [p["id"] for p in own_inactive] == [hidden.id]


def test_only_the_owner_changes_a_profile(client):
    fund, h = investor()
    _other, other_h = investor()
    shown = make_profile(fund)
    hidden = make_profile(fund, active=False)
    etag = client.get(f"/v1/investor-profiles/{shown.id}", headers=other_h).headers["ETag"]
    resp = client.patch(f"/v1/investor-profiles/{shown.id}", json={"trl_min": 2}, headers={**other_h, "If-Match": etag})
    assert resp.status_code == 403 and resp.json["type"] == "/problems/forbidden"
    assert client.delete(f"/v1/investor-profiles/{shown.id}", headers={**other_h, "If-Match": etag}).status_code == 403
    gone = client.patch(f"/v1/investor-profiles/{hidden.id}", json={"trl_min": 2}, headers={**other_h, "If-Match": "*"})
    assert gone.status_code == 404


def test_patch_needs_the_current_etag_and_checks_the_whole_profile(client):
    fund, h = investor()
    profile = make_profile(fund)
    url = f"/v1/investor-profiles/{profile.id}"
    etag = client.get(url, headers=h).headers["ETag"]
    assert client.patch(url, json={"trl_max": 9}, headers=h).status_code == 428
    low = client.patch(url, json={"trl_max": 4}, headers={**h, "If-Match": etag})
    assert low.status_code == 422 and low.json["errors"][0]["pointer"] == "/trl_max"
    euro = client.patch(url, json={"ticket_max": {"amount": "900000.00", "currency": "EUR"}}, headers={**h, "If-Match": etag})
    assert euro.status_code == 422 and euro.json["errors"][0]["pointer"] == "/ticket_max/currency"
    small = client.patch(url, json={"ticket_max": {"amount": "10.00", "currency": "CNY"}}, headers={**h, "If-Match": etag})
    assert small.status_code == 422 and small.json["errors"][0]["pointer"] == "/ticket_max/amount"
    both = {"ticket_min": {"amount": "100000.00", "currency": "EUR"}, "ticket_max": {"amount": "900000.00", "currency": "EUR"},
            "active": False, "countries": [], "description": None}
    ok = client.patch(url, json=both, headers={**h, "If-Match": etag})
    assert ok.status_code == 200, ok.json
    assert ok.json["ticket_max"] == {"amount": "900000.00", "currency": "EUR"}
    assert ok.json["active"] is False and ok.json["countries"] == [] and ok.json["description"] is None
    assert ok.headers["ETag"] != etag
    assert client.patch(url, json={"trl_max": 9}, headers={**h, "If-Match": etag}).status_code == 412
    assert client.patch(url, json={}, headers={**h, "If-Match": ok.headers["ETag"]}).status_code == 422


def test_delete_a_profile(client):
    fund, h = investor()
    profile = make_profile(fund)
    url = f"/v1/investor-profiles/{profile.id}"
    etag = client.get(url, headers=h).headers["ETag"]
    assert client.delete(url, headers=h).status_code == 428
    assert client.delete(url, headers={**h, "If-Match": '"stale"'}).status_code == 412
    assert client.delete(url, headers={**h, "If-Match": etag}).status_code == 204
    assert client.get(url, headers=h).status_code == 404


def test_list_filters(client):
    fund, h = investor()
    bank, _bh = investor(kind="financial_institution")
    energy = make_profile(fund, countries=["DE"])
    bio = make_profile(fund, fields=["biomedicine"], deal_types=["sole_license"], countries=[])
    pledge = make_profile(bank, fields=["robotics"], deal_types=["pledge_financing"], countries=["FR"])

    def ids(qs):
        resp = client.get(f"/v1/investor-profiles?{qs}", headers=h)
        assert resp.status_code == 200, resp.json
        return {p["id"] for p in resp.json["data"]} & {energy.id, bio.id, pledge.id}

    assert ids("") == {energy.id, bio.id, pledge.id}
    assert ids("field=biomedicine") == {bio.id}
    assert ids("field=new_energy") == {energy.id}
    assert ids("deal_type=pledge_financing") == {pledge.id}
    assert ids("country=DE") == {energy.id, bio.id}  # bio names no country: open to all
    assert ids("country=FR") == {pledge.id, bio.id}
    assert ids(f"owner={bank.id}") == {pledge.id}
    assert ids("mine=true") == {energy.id, bio.id}
    assert ids("mine=true&field=robotics") == set()
    assert client.get("/v1/investor-profiles?field=nanotech", headers=h).status_code == 400
    assert client.get("/v1/investor-profiles?owner=abc", headers=h).status_code == 400


def test_pages_are_newest_first_with_a_cursor(client):
    fund, h = investor()
    made = [make_profile(fund).id for _ in range(3)]
    first = client.get("/v1/investor-profiles?mine=true&limit=2", headers=h)
    assert [p["id"] for p in first.json["data"]] == made[::-1][:2]
    assert 'rel="next"' in first.headers["Link"]
    second = client.get(f"/v1/investor-profiles?mine=true&limit=2&cursor={first.json['next_cursor']}", headers=h)
    assert [p["id"] for p in second.json["data"]] == [made[0]] and second.json["next_cursor"] is None
    foreign = client.get(f"/v1/investor-profiles?limit=2&cursor={first.json['next_cursor']}", headers=h)
    assert foreign.status_code == 400


def test_scopes(client):
    fund = InvestorFactory()
    read_only = token_for(fund, scopes=["investors:read"])
    resp = client.post("/v1/investor-profiles", json=profile_body(), headers=read_only)
    assert resp.status_code == 403 and "investors:write" in resp.json["detail"]
    no_read = token_for(fund, scopes=["technologies:read"])
    assert client.get("/v1/investor-profiles", headers=no_read).status_code == 403


def test_terms_follow_keywords_and_description(db_session):
    profile = make_profile(keywords=["固态电池", "Electrolyte"], description={"en": "The best of batteries."})
    assert profile.terms["固态"] == 1.0 and profile.terms["electrolyte"] == 1.0
    assert profile.terms["batteries"] == 0.5 and "the" not in profile.terms
    services.update(session=db_session, profile=profile, data={"keywords": []})
    assert "固态" not in profile.terms and "batteries" in profile.terms
