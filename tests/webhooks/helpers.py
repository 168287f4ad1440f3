"""What the receiver's tests share: the API's view of an event, and a member's tour of the platform."""

from __future__ import annotations

from platform_api.config import DEFAULT_SCOPES
from platform_api.technologies import services as technologies
from tests.factories.investors import InvestorFactory, make_profile
from tests.factories.matching import token_for
from tests.factories.members import MemberFactory
from tests.factories.referrals import InstitutionFactory, referral_body
from tests.factories.technologies import technology_body


def api_event(app, client, headers, event_id: str) -> dict:
    """GET /v1/events/{id} as this member sees it."""
    resp = client.get(f"/v1/events/{event_id}", headers=headers)
    assert resp.status_code == 200, resp.json
    return resp.json


def everyone(scopes=DEFAULT_SCOPES):
    """A university, a fund and an institution, with tokens carrying every scope."""
    uni = MemberFactory(kind="university", name="Tsinghua University")
    fund = InvestorFactory(name="Rhine Energy Ventures", country="DE")
    institution = InstitutionFactory()
    return {m: token_for(m, scopes=list(scopes)) for m in (uni, fund, institution)}, uni, fund, institution


def tour(client, db_session, uni, fund, institution, h) -> dict:
    """Create, submit and approve a listing; propose, accept and close a match; refer a dispute."""
    tech = client.post("/v1/technologies", json=technology_body(), headers=h[uni])
    assert tech.status_code == 201, tech.json
    tech_id = tech.json["id"]
    assert client.post(f"/v1/technologies/{tech_id}/submit", headers=h[uni]).status_code == 200
    listing = technologies.get(session=db_session, technology_id=tech_id)
    technologies.transition(session=db_session, tech=listing, action="approve", note="Fine.")
    db_session.commit()
    profile = make_profile(fund)
    db_session.commit()
    match = client.post("/v1/matches", json={"technology_id": tech_id, "investor_profile_id": profile.id},
                        headers=h[fund])
    assert match.status_code == 201, match.json
    match_id = match.json["id"]
    assert client.post(f"/v1/matches/{match_id}/accept", headers=h[uni]).status_code == 200
    closed = client.post(f"/v1/matches/{match_id}/close", json={"outcome": "no_deal", "reason": "terms"}, headers=h[fund])
    assert closed.status_code == 200, closed.json
    referral = client.post("/v1/referrals", json=referral_body(institution, fund, technology_id=tech_id),
                           headers=h[uni])
    assert referral.status_code == 201, referral.json
    return {"technology": tech_id, "match": match_id, "referral": referral.json["id"], "profile": profile.id}
