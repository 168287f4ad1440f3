"""Issue 13: every change a member's system could act on is an event, and each event reaches
exactly those who may see its object through the API, with the object as they see it."""

from __future__ import annotations

import pytest

from platform_api.events.models import TYPES
from tests.cli.helpers import Cli
from tests.factories.investors import profile_body
from tests.factories.members import MemberFactory
from tests.factories.referrals import InstitutionFactory
from tests.factories.technologies import technology_body

from .helpers import headers_for, stream, types

DEAL = {"outcome": "deal_closed", "deal_type": "assignment", "amount": {"amount": "2500000.00", "currency": "CNY"},
        "signed_on": "2026-11-01"}


def _ok(resp, status=200):
    assert resp.status_code == status, resp.json
    return resp.json


@pytest.fixture
def tour(app, client):
    """A university lists, a fund introduces itself, they close; a dispute goes to mediation;
    staff review listings and suspend and reinstate a member. Returns who did what."""
    cli = Cli(app)
    uni = MemberFactory(kind="university", name="Tsinghua TTO", country="CN")
    fund = MemberFactory(kind="investor", name="Rhine Ventures", country="DE")
    centre = InstitutionFactory()
    bystander = MemberFactory(kind="enterprise", name="Bystander GmbH", country="DE")
    h = {"uni": headers_for(uni), "fund": headers_for(fund), "centre": headers_for(centre),
         "bystander": headers_for(bystander)}

    def listing(**kw):
        return _ok(client.post("/v1/technologies", headers=h["uni"], json=technology_body(**kw)), 201)["id"]

    tech = listing()
    etag = client.get(f"/v1/technologies/{tech}", headers=h["uni"]).headers["ETag"]
    _ok(client.patch(f"/v1/technologies/{tech}", headers={**h["uni"], "If-Match": etag}, json={"trl": 7}))
    _ok(client.post(f"/v1/technologies/{tech}/submit", headers=h["uni"]))
    cli.ok("technologies", "approve", tech)
    rejected = listing()
    _ok(client.post(f"/v1/technologies/{rejected}/submit", headers=h["uni"]))
    cli.ok("technologies", "reject", rejected, "--reason", "The patent number does not exist.")
    withdrawn = listing()
    _ok(client.post(f"/v1/technologies/{withdrawn}/submit", headers=h["uni"]))
    cli.ok("technologies", "approve", withdrawn)
    _ok(client.post(f"/v1/technologies/{withdrawn}/withdraw", headers=h["uni"]))
    deleted = listing()
    etag = client.get(f"/v1/technologies/{deleted}", headers=h["uni"]).headers["ETag"]
    assert client.delete(f"/v1/technologies/{deleted}", headers={**h["uni"], "If-Match": etag}).status_code == 204

    profile = _ok(client.post("/v1/investor-profiles", headers=h["fund"], json=profile_body()), 201)["id"]
    spare = _ok(client.post("/v1/investor-profiles", headers=h["fund"], json=profile_body()), 201)["id"]
    match = _ok(client.post("/v1/matches", headers=h["fund"],
                            json={"technology_id": tech, "investor_profile_id": profile}), 201)["id"]
    declined = _ok(client.post("/v1/matches", headers=h["uni"],
                               json={"technology_id": tech, "investor_profile_id": spare}), 201)["id"]
    _ok(client.post(f"/v1/matches/{declined}/decline", headers=h["fund"], json={"reason": "price"}))
    _ok(client.post(f"/v1/matches/{match}/accept", headers=h["uni"]))
    _ok(client.post(f"/v1/matches/{match}/close", headers=h["fund"], json=DEAL))
    withdrawn_match = listing()
    _ok(client.post(f"/v1/technologies/{withdrawn_match}/submit", headers=h["uni"]))
    cli.ok("technologies", "approve", withdrawn_match)
    intro = _ok(client.post("/v1/matches", headers=h["fund"],
                            json={"technology_id": withdrawn_match, "investor_profile_id": profile}), 201)["id"]
    _ok(client.post(f"/v1/matches/{intro}/withdraw", headers=h["fund"]))
    etag = client.get(f"/v1/investor-profiles/{spare}", headers=h["fund"]).headers["ETag"]
    _ok(client.patch(f"/v1/investor-profiles/{spare}", headers={**h["fund"], "If-Match": etag}, json={"trl_min": 4}))
    etag = client.get(f"/v1/investor-profiles/{spare}", headers=h["fund"]).headers["ETag"]
    _ok(client.patch(f"/v1/investor-profiles/{spare}", headers={**h["fund"], "If-Match": etag},
                     json={"active": False}))
    lone = _ok(client.post("/v1/investor-profiles", headers=h["fund"], json=profile_body()), 201)["id"]
    etag = client.get(f"/v1/investor-profiles/{lone}", headers=h["fund"]).headers["ETag"]
    assert client.delete(f"/v1/investor-profiles/{lone}", headers={**h["fund"], "If-Match": etag}).status_code == 204

    referral = _ok(client.post("/v1/referrals", headers=h["uni"], json={
        "procedure": "mediation", "basis": "agreement", "dispute_type": "licence", "ip_kinds": ["invention_patent"],
        "institution_id": centre.id, "respondent": {"member_id": fund.id},
        "amount_in_dispute": {"amount": "1250000.00", "currency": "EUR"}, "language": "en", "seat": "Geneva, CH",
        "governing_law": "Swiss law", "summary": "Royalties are unpaid since 2025.",
        "requested_relief": "Payment of the royalties due."}), 201)["id"]
    _ok(client.post(f"/v1/referrals/{referral}/events", headers=h["centre"], json={"type": "acknowledged"}), 201)
    cli.ok("members", "suspend", fund.id, "--reason", "Unpaid membership fee.")
    cli.ok("members", "reinstate", fund.id)
    h["fund"] = headers_for(fund)  # the suspension revoked the fund's tokens
    return {"members": {"uni": uni, "fund": fund, "centre": centre, "bystander": bystander}, "h": h,
            "tech": tech, "rejected": rejected, "withdrawn": withdrawn, "deleted": deleted, "match": match,
            "referral": referral, "profile": profile, "spare": spare, "lone": lone}


def test_the_tour_emits_every_type_of_event(client, tour):
    seen = set()
    for who in ("uni", "fund", "centre", "bystander"):
        seen |= set(types(stream(client, tour["h"][who])))
    assert seen == set(TYPES) - {"webhook_endpoint.disabled"}  # that one: tests/webhooks


def test_each_member_receives_exactly_what_it_may_see(client, tour):
    uni = stream(client, tour["h"]["uni"])
    assert types(uni) == [
        "technology.created", "technology.updated", "technology.submitted", "technology.published",
        "technology.created", "technology.submitted", "technology.rejected",
        "technology.created", "technology.submitted", "technology.published", "technology.withdrawn",
        "technology.created", "technology.deleted",
        "investor_profile.activated", "investor_profile.activated",
        "match.proposed", "match.proposed", "match.declined", "match.accepted", "technology.transacted", "match.closed",
        "technology.created", "technology.submitted", "technology.published", "match.proposed", "match.withdrawn",
        "investor_profile.updated", "investor_profile.deactivated", "investor_profile.activated",
        "investor_profile.deleted", "referral.created", "referral.event_added",
    ]
    fund = stream(client, tour["h"]["fund"])
    # the fund sees listings once public, its own profiles, its matches, the referral against it, its standing
    assert types(fund) == [
        "technology.published", "technology.published", "technology.withdrawn",
        "investor_profile.activated", "investor_profile.activated",
        "match.proposed", "match.proposed", "match.declined", "match.accepted", "technology.transacted", "match.closed",
        "technology.published", "match.proposed", "match.withdrawn",
        "investor_profile.updated", "investor_profile.deactivated", "investor_profile.activated",
        "investor_profile.deleted", "referral.created", "referral.event_added", "member.suspended",
        "member.reinstated",
    ]
    bystander = stream(client, tour["h"]["bystander"])
    assert types(bystander) == [
        "technology.published", "technology.published", "technology.withdrawn",
        "investor_profile.activated", "investor_profile.activated", "technology.transacted",
        "technology.published", "investor_profile.updated", "investor_profile.deactivated",
        "investor_profile.activated", "investor_profile.deleted",
    ]
    centre = stream(client, tour["h"]["centre"])
    assert [e["type"] for e in centre if not e["type"].startswith(("technology.", "investor_profile."))] == [
        "referral.created", "referral.event_added"]


def test_the_object_is_the_one_the_recipient_sees_through_the_api(client, tour):
    h = tour["h"]
    for who in ("uni", "fund", "bystander"):
        [published] = [e for e in stream(client, h[who], "type=technology.published")
                       if e["data"]["object"]["id"] == tour["rejected"] or e["data"]["object"]["id"] == tour["tech"]]
        shown = published["data"]["object"]
        # as the API showed it then: the owner's view for the owner, the public view for others
        assert ("allowed_actions" in shown) == (who == "uni")
        assert shown["status"] == "published" and shown["trl"] == 7
    gone = [e for e in stream(client, h["bystander"], "type=technology.withdrawn")]
    assert [e["data"]["object"] for e in gone] == [{"id": tour["withdrawn"], "status": "withdrawn"}]
    # each side of a match gets its own view, with what it may do next
    accepted = {who: [e for e in stream(client, h[who], "type=match.accepted")][0]["data"]["object"]
                for who in ("uni", "fund")}
    now = {who: client.get(f"/v1/matches/{tour['match']}", headers=h[who]).json for who in ("uni", "fund")}
    assert accepted["uni"]["role"] != accepted["fund"]["role"]
    assert {w: a["role"] for w, a in accepted.items()} == {w: n["role"] for w, n in now.items()}
    assert accepted["uni"]["status"] == "accepted" and now["uni"]["status"] == "deal_closed"
    # a referral's event carries the timeline entry and the referral as each party sees it
    for who in ("uni", "fund", "centre"):
        [added] = stream(client, h[who], "type=referral.event_added")
        assert added["data"]["event"]["type"] == "acknowledged"
        seen = client.get(f"/v1/referrals/{tour['referral']}", headers=h[who]).json
        assert added["data"]["object"]["role"] == seen["role"]
        assert added["data"]["object"]["status"] == seen["status"] == "acknowledged"
    [suspended] = stream(client, h["fund"], "type=member.suspended")
    assert suspended["data"]["object"]["status"] == "suspended"


def test_nobody_receives_a_draft_match_or_referral_of_others(client, tour):
    """Over every event type: a member outside an object's audience never gets its events."""
    private = {"technology.created", "technology.updated", "technology.deleted", "technology.submitted",
               "technology.rejected", "match.proposed", "match.accepted", "match.declined", "match.withdrawn",
               "match.closed", "referral.created", "referral.event_added", "member.suspended", "member.reinstated"}
    bystander = stream(client, tour["h"]["bystander"])
    assert not private & set(types(bystander))
    for event in bystander:  # what others see of a listing or a profile: the public view, or only that it is gone
        obj = event["data"]["object"]
        assert "allowed_actions" not in obj and "review_note" not in obj
        mine = client.get(f"/v1/events/{event['id']}", headers=tour["h"]["bystander"])
        assert mine.status_code == 200 and mine.json == event
    uni_only = [e for e in stream(client, tour["h"]["uni"]) if e["type"] in private]
    for event in uni_only:
        if event["type"].startswith(("technology.", "referral.")):
            assert client.get(f"/v1/events/{event['id']}", headers=tour["h"]["bystander"]).status_code == 404
    centre = stream(client, tour["h"]["centre"])
    assert not {"match.proposed", "technology.created", "member.suspended"} & set(types(centre))


def test_an_import_tells_owners_of_their_drafts_and_everyone_of_what_it_publishes(app, client, tmp_path):
    from pathlib import Path

    csv = Path(__file__).resolve().parent.parent / "data" / "technologies.csv"
    owner, reader = MemberFactory(), MemberFactory()
    cli = Cli(app)
    published = cli.json("technologies", "import", str(csv), "--owner", owner.id, "--publish")["ids"]
    drafts = cli.json("technologies", "import", str(csv), "--owner", owner.id)["ids"]
    seen = stream(client, headers_for(reader))
    assert [e["data"]["object"]["id"] for e in seen] == published
    assert set(types(seen)) == {"technology.published"}
    own = stream(client, headers_for(owner))
    assert [(e["type"], e["data"]["object"]["id"]) for e in own] == (
        [("technology.published", i) for i in published] + [("technology.created", i) for i in drafts])
    assert all(e["data"]["object"]["allowed_actions"] for e in own)


def test_filtering_by_type_gives_exactly_that_part_of_the_stream(client, tour):
    for who in ("uni", "fund", "bystander"):
        every = stream(client, tour["h"][who])
        for prefix in sorted({t.split(".")[0] for t in TYPES}):
            assert stream(client, tour["h"][who], f"type={prefix}.*") == [
                e for e in every if e["type"].startswith(prefix + ".")], (who, prefix)
        for kind in sorted(set(types(every))):
            assert stream(client, tour["h"][who], f"type={kind}") == [e for e in every if e["type"] == kind]
