from platform_api.matching.models import Match
from tests.factories.investors import InvestorFactory, make_profile
from tests.factories.matching import make_match, token_for
from tests.factories.members import MemberFactory
from tests.factories.technologies import make_technology

MISSING = "00000000-0000-4000-8000-000000000000"


def sides():
    """A university with a published listing and a fund with an active profile, with their headers."""
    uni = MemberFactory(kind="university", name="Tsinghua University")
    fund = InvestorFactory(name="Rhine Energy Ventures", country="DE")
    tech = make_technology(uni)
    profile = make_profile(fund)
    return tech, profile, token_for(uni), token_for(fund)


def propose(client, h, tech, profile, **extra):
    return client.post("/v1/matches", json={"technology_id": tech.id, "investor_profile_id": profile.id, **extra}, headers=h)


def test_the_investor_proposes_and_the_owner_accepts(client):
    tech, profile, uni_h, fund_h = sides()
    resp = propose(client, fund_h, tech, profile, message="Let us talk about the CN and EP rights.")
    assert resp.status_code == 201, resp.json
    m = resp.json
    assert m["status"] == "proposed" and m["role"] == "investor" and m["proposed_by"] == "investor"
    assert m["allowed_actions"] == ["withdraw"]
    assert m["technology"]["id"] == tech.id and m["technology"]["owner"]["name"] == "Tsinghua University"
    assert m["investor_profile"]["owner"]["country"] == "DE" and m["investor_profile"]["owner"]["overseas"] is True
    assert resp.headers["Location"].endswith(f"/v1/matches/{m['id']}")
    seen = client.get(f"/v1/matches/{m['id']}", headers=uni_h)
    assert seen.json["role"] == "technology_owner" and seen.json["allowed_actions"] == ["accept", "decline"]
    assert seen.json["message"] == "Let us talk about the CN and EP rights."
    accepted = client.post(f"/v1/matches/{m['id']}/accept", headers=uni_h)
    assert accepted.status_code == 200 and accepted.json["status"] == "accepted"
    assert accepted.json["allowed_actions"] == ["close"] and accepted.json["responded_at"]
    assert accepted.headers["ETag"] != seen.headers["ETag"]


def test_the_owner_may_propose_too_and_the_investor_declines_with_a_reason(client):
    tech, profile, uni_h, fund_h = sides()
    m = propose(client, uni_h, tech, profile).json
    assert m["proposed_by"] == "technology_owner" and m["message"] is None
    bad = client.post(f"/v1/matches/{m['id']}/decline", json={"reason": "boring"}, headers=fund_h)
    assert bad.status_code == 422 and bad.json["errors"][0]["pointer"] == "/reason"
    declined = client.post(f"/v1/matches/{m['id']}/decline", json={"reason": "too_early", "note": "After the pilot."},
                           headers=fund_h)
    assert declined.status_code == 200
    assert declined.json["status"] == "declined"
    assert declined.json["decline"] == {"reason": "too_early", "note": "After the pilot."}
    assert declined.json["allowed_actions"] == []
    # Declined is final; a new proposal is possible.
    assert propose(client, uni_h, tech, profile).status_code == 201


def test_only_the_other_side_responds_and_only_the_proposer_withdraws(client):
    tech, profile, uni_h, fund_h = sides()
    m = propose(client, fund_h, tech, profile).json
    own = client.post(f"/v1/matches/{m['id']}/accept", headers=fund_h)
    assert own.status_code == 403 and "did not propose" in own.json["detail"]
    assert client.post(f"/v1/matches/{m['id']}/decline", json={"reason": "price"}, headers=fund_h).status_code == 403
    assert client.post(f"/v1/matches/{m['id']}/withdraw", headers=uni_h).status_code == 403
    withdrawn = client.post(f"/v1/matches/{m['id']}/withdraw", headers=fund_h)
    assert withdrawn.status_code == 200 and withdrawn.json["status"] == "withdrawn"


def test_actions_the_status_does_not_allow_are_409_naming_what_is(client):
    tech, profile, uni_h, fund_h = sides()
    m = propose(client, fund_h, tech, profile).json
    early = client.post(f"/v1/matches/{m['id']}/close", json={"outcome": "no_deal", "reason": "price"}, headers=uni_h)
    assert early.status_code == 409 and early.json["allowed_actions"] == ["accept", "decline"]
    client.post(f"/v1/matches/{m['id']}/accept", headers=uni_h)
    again = client.post(f"/v1/matches/{m['id']}/accept", headers=uni_h)
    assert again.status_code == 409 and again.json["allowed_actions"] == ["close"]
    assert "status 'accepted'" in again.json["detail"]
    assert client.post(f"/v1/matches/{m['id']}/withdraw", headers=fund_h).status_code == 409
    closed = client.post(f"/v1/matches/{m['id']}/close", json={"outcome": "no_deal", "reason": "terms"}, headers=fund_h)
    assert closed.status_code == 200 and closed.json["outcome"] == {"outcome": "no_deal", "reason": "terms", "note": None}
    final = client.post(f"/v1/matches/{m['id']}/close", json={"outcome": "no_deal", "reason": "terms"}, headers=uni_h)
    assert final.status_code == 409 and final.json["allowed_actions"] == []


def test_a_licence_deal_keeps_the_listing_published(client):
    tech, profile, uni_h, fund_h = sides()
    m = make_match(tech, profile)
    client.post(f"/v1/matches/{m.id}/accept", headers=uni_h)
    body = {"outcome": "deal_closed", "deal_type": "exclusive_license",
            "amount": {"amount": "800000.00", "currency": "EUR"}, "signed_on": "2026-10-01"}
    resp = client.post(f"/v1/matches/{m.id}/close", json=body, headers=fund_h)
    assert resp.status_code == 200, resp.json
    assert resp.json["outcome"] == {**body, "recordal": None}
    assert resp.json["technology"]["status"] == "published"


def test_an_assignment_transfers_the_listing(client):
    tech, profile, uni_h, fund_h = sides()
    m = make_match(tech, profile)
    client.post(f"/v1/matches/{m.id}/accept", headers=uni_h)
    body = {"outcome": "deal_closed", "deal_type": "assignment", "amount": {"amount": "2500000.00", "currency": "CNY"},
            "signed_on": "2026-11-01", "recordal": {"office": "CN", "reference": "TR-2026-0415", "recorded_on": "2026-11-15"}}
    resp = client.post(f"/v1/matches/{m.id}/close", json=body, headers=uni_h)
    assert resp.status_code == 200, resp.json
    assert resp.json["status"] == "deal_closed" and resp.json["outcome"]["recordal"]["office"] == "CN"
    assert resp.json["technology"]["status"] == "transacted"
    assert client.get(f"/v1/technologies/{tech.id}", headers=uni_h).json["status"] == "transacted"
    # A transacted listing is no longer introduced: others no longer see it at all.
    other = make_profile()
    resp = propose(client, token_for(other.owner), tech, other)
    assert resp.status_code == 422 and resp.json["errors"][0]["pointer"] == "/technology_id"
    assert propose(client, uni_h, tech, other).status_code == 409


def test_close_is_validated_against_the_outcome_and_the_listing(client):
    tech, profile, uni_h, fund_h = sides()
    m = make_match(tech, profile)
    client.post(f"/v1/matches/{m.id}/accept", headers=uni_h)
    deal = {"outcome": "deal_closed", "deal_type": "assignment", "amount": {"amount": "1.00", "currency": "CNY"},
            "signed_on": "2026-01-01"}
    cases = [
        ({**deal, "deal_type": "sole_license"}, "/deal_type"),
        ({**deal, "signed_on": "2999-01-01"}, "/signed_on"),
        ({**deal, "signed_on": "01/02/2026"}, "/signed_on"),
        ({**deal, "amount": {"amount": 1, "currency": "CNY"}}, "/amount/amount"),
        ({**deal, "recordal": {"office": "CN", "reference": "x", "recorded_on": "2025-12-31"}}, "/recordal/recorded_on"),
        ({**deal, "recordal": {"office": "C1", "reference": "x", "recorded_on": "2026-01-02"}}, "/recordal/office"),
        ({**deal, "reason": "price"}, "/reason"),
        ({"outcome": "deal_closed"}, "/amount"),
        ({"outcome": "no_deal"}, "/reason"),
        ({"outcome": "no_deal", "reason": "price", "deal_type": "assignment"}, "/deal_type"),
        ({"outcome": "won"}, "/outcome"),
        ({"outcome": "no_deal", "reason": "price", "status": "no_deal"}, "/status"),
    ]
    for body, pointer in cases:
        resp = client.post(f"/v1/matches/{m.id}/close", json=body, headers=uni_h)
        assert resp.status_code == 422, (body, resp.json)
        assert pointer in [e["pointer"] for e in resp.json["errors"]], (body, resp.json["errors"])
    assert client.get(f"/v1/matches/{m.id}", headers=uni_h).json["status"] == "accepted"
    assert client.get(f"/v1/technologies/{tech.id}", headers=uni_h).json["status"] == "published"


def test_who_may_propose_what(client):
    tech, profile, uni_h, fund_h = sides()
    stranger = token_for(MemberFactory())
    resp = propose(client, stranger, tech, profile)
    assert resp.status_code == 403 and "neither" in resp.json["detail"]
    hidden_tech = make_technology(tech.owner, status="draft")
    resp = propose(client, fund_h, hidden_tech, profile)
    assert resp.status_code == 422 and resp.json["errors"][0]["pointer"] == "/technology_id"
    own_draft = propose(client, uni_h, hidden_tech, profile)
    assert own_draft.status_code == 409 and "draft" in own_draft.json["detail"]
    inactive = make_profile(profile.owner, active=False)
    resp = propose(client, uni_h, tech, inactive)
    assert resp.status_code == 422 and resp.json["errors"][0]["pointer"] == "/investor_profile_id"
    assert propose(client, fund_h, tech, inactive).status_code == 409
    missing = client.post("/v1/matches", json={"technology_id": MISSING, "investor_profile_id": "nope"}, headers=fund_h)
    assert missing.status_code == 422 and missing.json["errors"][0]["pointer"] == "/technology_id"
    both = make_profile(InvestorFactory())
    same_member_tech = make_technology(both.owner)
    resp = propose(client, token_for(both.owner), same_member_tech, both)
    assert resp.status_code == 422 and "same member" in resp.json["detail"]
    assert client.post("/v1/matches", json={"technology_id": tech.id}, headers=fund_h).status_code == 422


def test_one_open_match_per_pair_and_idempotent_proposals(client):
    tech, profile, uni_h, fund_h = sides()
    key = {"Idempotency-Key": "intro-1"}
    first = propose(client, {**fund_h, **key}, tech, profile)
    replay = propose(client, {**fund_h, **key}, tech, profile)
    assert first.status_code == replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.json["id"] == first.json["id"]
    dup = propose(client, uni_h, tech, profile)
    assert dup.status_code == 409 and first.json["id"] in dup.json["detail"]


def test_the_other_member_must_be_active(client, db_session):
    tech, profile, uni_h, fund_h = sides()
    tech.owner.status = "suspended"
    db_session.flush()
    resp = propose(client, fund_h, tech, profile)
    assert resp.status_code == 409 and "not an active member" in resp.json["detail"]


def test_accepting_needs_the_listing_still_published(client, db_session):
    tech, profile, uni_h, fund_h = sides()
    m = make_match(tech, profile, by="technology_owner")
    tech.status = "withdrawn"
    db_session.flush()
    resp = client.post(f"/v1/matches/{m.id}/accept", headers=fund_h)
    assert resp.status_code == 409 and "withdrawn" in resp.json["detail"]


def test_only_the_two_sides_see_a_match(client):
    tech, profile, uni_h, fund_h = sides()
    m = make_match(tech, profile)
    stranger = token_for(MemberFactory())
    hidden = client.get(f"/v1/matches/{m.id}", headers=stranger)
    missing = client.get(f"/v1/matches/{MISSING}", headers=stranger)
    assert hidden.status_code == missing.status_code == 404 and hidden.json["detail"] == missing.json["detail"]
    assert client.post(f"/v1/matches/{m.id}/accept", headers=stranger).status_code == 404
    assert client.get("/v1/matches", headers=stranger).json["data"] == []


def test_list_filters_by_status_and_role(client):
    tech, profile, uni_h, fund_h = sides()
    first = make_match(tech, profile)
    other_tech = make_technology(profile.owner)  # the fund lists a technology too
    other_profile = make_profile(InvestorFactory())
    second = make_match(other_tech, other_profile, by="technology_owner")
    client.post(f"/v1/matches/{first.id}/accept", headers=uni_h)

    def ids(qs):
        resp = client.get(f"/v1/matches?{qs}", headers=fund_h)
        assert resp.status_code == 200, resp.json
        return [m["id"] for m in resp.json["data"]]

    assert ids("") == [second.id, first.id]
    assert ids("role=investor") == [first.id]
    assert ids("role=technology_owner") == [second.id]
    assert ids("status=accepted") == [first.id]
    assert ids("status=proposed&role=investor") == []
    assert client.get("/v1/matches?role=buyer", headers=fund_h).status_code == 400
    page = client.get("/v1/matches?limit=1", headers=fund_h)
    assert page.json["next_cursor"] and 'rel="next"' in page.headers["Link"]


def test_scopes(client):
    tech, profile, _uh, _fh = sides()
    read_only = token_for(profile.owner, scopes=["matches:read"])
    resp = propose(client, read_only, tech, profile)
    assert resp.status_code == 403 and "matches:write" in resp.json["detail"]
    assert client.get("/v1/matches", headers=token_for(profile.owner, scopes=["investors:read"])).status_code == 403


def test_a_profile_with_matches_is_kept(client, db_session):
    tech, profile, _uh, fund_h = sides()
    make_match(tech, profile)
    url = f"/v1/investor-profiles/{profile.id}"
    etag = client.get(url, headers=fund_h).headers["ETag"]
    resp = client.delete(url, headers={**fund_h, "If-Match": etag})
    assert resp.status_code == 409 and "active to false" in resp.json["detail"]
    assert db_session.query(Match).count() == 1
    assert client.get(url, headers=fund_h).status_code == 200
