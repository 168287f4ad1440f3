"""/v1/referrals: the issue's scenario end to end, creation rules, the list and idempotent create."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from platform_api.referrals.models import Referral, ReferralEvent
from tests.factories.members import MemberFactory
from tests.factories.referrals import InstitutionFactory, make_referral, referral_body, token_for

from .helpers import recompute, timeline


def _post(client, referral_id, headers, **body):
    return client.post(f"/v1/referrals/{referral_id}/events", json=body, headers=headers)


def test_done_means_a_licence_dispute_from_referral_to_settlement(client, cast):
    """Claimant refers, institution acknowledges, appoints a mediator and closes it as settled;
    the respondent follows it; a fourth member cannot tell it exists."""
    body = referral_body(cast.institution.member, cast.respondent.member)
    created = client.post("/v1/referrals", json=body, headers=cast.claimant.headers)
    assert created.status_code == 201, created.json
    referral = created.json
    rid = referral["id"]
    assert created.headers["Location"].endswith(f"/v1/referrals/{rid}")
    assert created.headers["ETag"]
    year = datetime.now(timezone.utc).year
    assert re.fullmatch(rf"REF-{year}-[0-9A-HJKMNP-TV-Z]{{10}}", referral["reference"])
    assert referral["status"] == "submitted" and referral["outcome"] is None
    assert referral["claimant"] == {"id": cast.claimant.id, "name": "Shenzhen Photonics Co., Ltd."}
    assert referral["respondent"] == {"id": cast.respondent.id, "name": "Lyon Optique SAS"}
    assert referral["institution"] == {"id": cast.institution.id, "name": "WIPO-style Mediation Centre"}
    assert referral["role"] == "claimant" and referral["allowed_events"] == ["withdrawn", "note"]
    assert referral["amount_in_dispute"] == {"amount": "1250000.00", "currency": "EUR"}

    inst = cast.institution.headers
    as_inst = client.get(f"/v1/referrals/{rid}", headers=inst).json
    assert as_inst["role"] == "institution"
    assert as_inst["allowed_events"] == ["acknowledged", "declined", "closed", "note"]

    ack = _post(client, rid, inst, type="acknowledged", case_number="GMC-2026-017")
    assert ack.status_code == 201, ack.json
    assert ack.json["sequence"] == 2 and ack.json["case_number"] == "GMC-2026-017"
    assert client.get(f"/v1/referrals/{rid}", headers=inst).json["status"] == "acknowledged"

    neutral = _post(client, rid, inst, type="neutral_appointed", neutral={"name": "Dr. Anna Keller", "role": "mediator"})
    assert neutral.status_code == 201, neutral.json
    assert client.get(f"/v1/referrals/{rid}", headers=inst).json["status"] == "in_progress"

    closed = _post(client, rid, inst, type="closed", outcome="settled", note="Settlement signed on both sides.")
    assert closed.status_code == 201, closed.json
    final = client.get(f"/v1/referrals/{rid}", headers=inst).json
    assert (final["status"], final["outcome"]) == ("closed", "settled")
    assert final["allowed_events"] == ["note"]

    # The respondent follows it: the referral and every event.
    theirs = client.get(f"/v1/referrals/{rid}", headers=cast.respondent.headers)
    assert theirs.status_code == 200
    assert theirs.json["role"] == "respondent" and theirs.json["summary"] == body["summary"]
    events = timeline(client, rid, cast.respondent.headers)
    assert [e["type"] for e in events] == ["submitted", "acknowledged", "neutral_appointed", "closed"]
    assert [e["sequence"] for e in events] == [1, 2, 3, 4]
    assert events[0]["prev_hash"] == "0" * 64
    assert events[0]["actor"] == {"member_id": cast.claimant.id, "member_name": "Shenzhen Photonics Co., Ltd.", "person": None}
    assert events[0]["summary"] == body["summary"] and events[0]["reference"] == referral["reference"]
    assert events[2]["neutral"] == {"name": "Dr. Anna Keller", "role": "mediator"}
    assert events[3]["actor"]["member_id"] == cast.institution.id
    # The chain is recomputable from the responses alone.
    assert recompute(events) == []
    assert [e["hash"] for e in events[:3]] == [e["prev_hash"] for e in events[1:]]

    # The fourth member learns nothing, whatever it asks.
    out = cast.outsider.headers
    missing = client.get("/v1/referrals/00000000-0000-4000-8000-000000000000", headers=out)
    assert missing.status_code == 404
    for resp in (
        client.get(f"/v1/referrals/{rid}", headers=out),
        client.get(f"/v1/referrals/{rid}/events", headers=out),
        _post(client, rid, out, type="note", text="Hello?"),
    ):
        assert resp.status_code == 404
        assert {k: v for k, v in resp.json.items() if k != "instance"} == {
            k: v for k, v in missing.json.items() if k != "instance"
        }
    assert client.get("/v1/referrals", headers=out).json["data"] == []


def test_get_carries_an_etag_that_changes_with_each_event(client, cast):
    referral = make_referral(cast.claimant.member, cast.institution.member, cast.respondent.member)
    first = client.get(f"/v1/referrals/{referral.id}", headers=cast.claimant.headers)
    assert first.status_code == 200 and first.headers["ETag"] == f'"{referral.id}.1"'
    assert _post(client, referral.id, cast.respondent.headers, type="note", text="We dispute the amount.").status_code == 201
    second = client.get(f"/v1/referrals/{referral.id}", headers=cast.claimant.headers)
    assert second.headers["ETag"] != first.headers["ETag"]


def test_outside_respondent_and_court_referral(client, cast):
    body = referral_body(
        cast.institution.member, None, procedure="arbitration", basis="court_referral", dispute_type="infringement",
        court={"name": "Beijing IP Court", "case_number": "(2026) Jing 73 Min Chu 123"}, amount_in_dispute=None,
        ip_kinds=["invention_patent", "trade_secret"], language="zh",
    )
    resp = client.post("/v1/referrals", json=body, headers=cast.claimant.headers)
    assert resp.status_code == 201, resp.json
    assert resp.json["respondent"] == {"name": "Acme GmbH", "country": "DE"}
    assert resp.json["court"] == {"name": "Beijing IP Court", "case_number": "(2026) Jing 73 Min Chu 123"}
    assert resp.json["amount_in_dispute"] is None


def test_idempotent_create_returns_the_first_response_and_creates_one_referral(client, cast, db_session):
    body = referral_body(cast.institution.member, cast.respondent.member)
    headers = {**cast.claimant.headers, "Idempotency-Key": "refer-licence-dispute-1"}
    first = client.post("/v1/referrals", json=body, headers=headers)
    again = client.post("/v1/referrals", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json and again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Location"] == first.headers["Location"]
    count = db_session.scalar(select(func.count()).select_from(Referral).where(Referral.claimant_id == cast.claimant.id))
    assert count == 1
    events = db_session.scalar(select(func.count()).select_from(ReferralEvent).where(ReferralEvent.referral_id == first.json["id"]))
    assert events == 1
    other = client.post("/v1/referrals", json={**body, "seat": "Paris, FR"}, headers=headers)
    assert other.status_code == 422


def test_references_are_unique_and_do_not_follow_each_other(client, cast):
    refs = []
    for _ in range(3):
        resp = client.post("/v1/referrals", json=referral_body(cast.institution.member), headers=cast.claimant.headers)
        refs.append(resp.json["reference"])
    assert len(set(refs)) == 3
    assert len({r.rsplit("-", 1)[1][:-1] for r in refs}) == 3  # not a counter: they differ before the last place


# --- creation rules -------------------------------------------------------------------------


def _refused(client, cast, body, pointer, words=""):
    resp = client.post("/v1/referrals", json=body, headers=cast.claimant.headers)
    assert resp.status_code == 422, (body, resp.json)
    pointers = {e["pointer"]: e["detail"] for e in resp.json["errors"]}
    assert pointer in pointers, pointers
    assert words.lower() in pointers[pointer].lower(), pointers
    return resp


def test_the_institution_must_be_an_active_adr_institution_other_than_the_claimant(client, cast):
    university = MemberFactory(kind="university")
    pending = InstitutionFactory(status="pending")
    suspended = InstitutionFactory(status="suspended")
    for institution_id, words in (
        (university.id, "adr_institution"),
        (pending.id, "No active member"),
        (suspended.id, "No active member"),
        ("00000000-0000-4000-8000-000000000000", "No active member"),
        ("not-an-id", "No active member"),
    ):
        body = referral_body(cast.institution.member, institution_id=institution_id)
        _refused(client, cast, body, "/institution_id", words)
    centre = InstitutionFactory()
    headers = token_for(centre)
    resp = client.post("/v1/referrals", json=referral_body(centre), headers=headers)
    assert resp.status_code == 422 and resp.json["errors"][0]["pointer"] == "/institution_id"
    assert "claimant cannot be the institution" in resp.json["errors"][0]["detail"]


def test_the_respondent_must_be_another_active_member_or_an_outside_party(client, cast):
    inst = cast.institution.member
    _refused(client, cast, referral_body(inst, cast.claimant.member), "/respondent/member_id", "its own respondent")
    _refused(client, cast, referral_body(inst, inst), "/respondent/member_id", "institution cannot be a party")
    _refused(client, cast, referral_body(inst, MemberFactory(status="suspended")), "/respondent/member_id", "No active member")
    _refused(client, cast, referral_body(inst, respondent={"member_id": "00000000-0000-4000-8000-000000000000"}),
             "/respondent/member_id", "No active member")
    _refused(client, cast, referral_body(inst, respondent={"member_id": cast.respondent.id, "name": "X"}),
             "/respondent/name", "not both")
    _refused(client, cast, referral_body(inst, respondent={}), "/respondent", "member_id")
    _refused(client, cast, referral_body(inst, respondent={"name": "Acme GmbH"}), "/respondent/country", "Missing")
    _refused(client, cast, referral_body(inst, respondent={"name": "Acme", "country": "de"}), "/respondent/country")
    _refused(client, cast, referral_body(inst, respondent={"name": "Acme", "country": "DE", "vat": "x"}),
             "/respondent/vat", "Unknown")


def test_court_is_required_for_a_court_referral_and_refused_otherwise(client, cast):
    inst = cast.institution.member
    _refused(client, cast, referral_body(inst, basis="court_referral"), "/court", "court referral needs")
    _refused(client, cast, referral_body(inst, basis="agreement", court={"name": "X", "case_number": "1"}), "/court", "Only")
    _refused(client, cast, referral_body(inst, basis="court_referral", court={"name": "Beijing IP Court"}),
             "/court/case_number", "Missing")


def test_technology_must_be_one_of_the_claimants_own_listings(client, cast, db_session):
    from platform_api.technologies import services as technologies

    def listing(owner, status):
        tech = technologies.create(session=db_session, owner=owner, data={
            "title": {"en": "Fibre laser"}, "summary": {"en": "A fibre laser."}, "field": "next_gen_it", "trl": 5,
            "deal_types": ["assignment"], "origin_country": owner.country,
        })
        tech.status = status
        db_session.flush()
        return tech

    inst = cast.institution.member
    others_draft = listing(cast.respondent.member, "draft")
    others_published = listing(cast.respondent.member, "published")
    own_draft = listing(cast.claimant.member, "draft")
    unknown = _refused(client, cast, referral_body(inst, technology_id="00000000-0000-4000-8000-000000000000"),
                       "/technology_id", "No technology with this ID")
    hidden = _refused(client, cast, referral_body(inst, technology_id=others_draft.id), "/technology_id")
    assert hidden.json["errors"] == unknown.json["errors"]  # another member's draft stays invisible
    _refused(client, cast, referral_body(inst, technology_id=others_published.id), "/technology_id", "claimant's own")
    resp = client.post("/v1/referrals", json=referral_body(inst, technology_id=own_draft.id), headers=cast.claimant.headers)
    assert resp.status_code == 201, resp.json
    assert resp.json["technology_id"] == own_draft.id


def test_a_referral_about_a_match_must_involve_the_claimant(client, cast):
    from tests.factories.investors import make_profile
    from tests.factories.matching import make_match
    from tests.factories.technologies import make_technology

    inst = cast.institution.member
    unknown = _refused(client, cast, referral_body(inst, match_id="00000000-0000-4000-8000-000000000000"),
                       "/match_id", "No match with this ID")
    others = make_match(make_technology(), make_profile())
    hidden = _refused(client, cast, referral_body(inst, match_id=others.id), "/match_id")
    assert hidden.json["errors"] == unknown.json["errors"]  # another pair's match stays invisible
    own = make_match(make_technology(cast.claimant.member), make_profile())
    resp = client.post("/v1/referrals", json=referral_body(inst, match_id=own.id), headers=cast.claimant.headers)
    assert resp.status_code == 201, resp.json
    assert resp.json["match_id"] == own.id


@pytest.mark.parametrize(
    ("change", "pointer", "words"),
    [
        ({"status": "closed"}, "/status", "Read-only"),
        ({"reference": "REF-2026-000001"}, "/reference", "Read-only"),
        ({"claimant": {"id": "x"}}, "/claimant", "Read-only"),
        ({"id": "x"}, "/id", "Read-only"),
        ({"colour": "blue"}, "/colour", "Unknown"),
        ({"procedure": "litigation"}, "/procedure", "one of"),
        ({"basis": None}, "/basis", ""),
        ({"dispute_type": "patent"}, "/dispute_type", "one of"),
        ({"ip_kinds": []}, "/ip_kinds", "between"),
        ({"ip_kinds": ["patent"]}, "/ip_kinds/0", "one of"),
        ({"ip_kinds": ["design", "design"]}, "/ip_kinds", "repeat"),
        ({"language": "english"}, "/language", "language tag"),
        ({"amount_in_dispute": {"amount": 1250000.5, "currency": "EUR"}}, "/amount_in_dispute/amount", "decimal string"),
        ({"amount_in_dispute": {"amount": "100.00", "currency": "EURO"}}, "/amount_in_dispute/currency", "ISO 4217"),
        ({"summary": "x" * 10001}, "/summary", "at most 10000"),
        ({"summary": "   "}, "/summary", "blank"),
        ({"seat": "Geneva\nCH"}, "/seat", "control"),
        ({"seat": "G" * 201}, "/seat", "at most 200"),
        ({"governing_law": "L" * 201}, "/governing_law", "at most 200"),
        ({"requested_relief": "r" * 5001}, "/requested_relief", "at most 5000"),
    ],
)
def test_create_validation_points_at_the_field(client, cast, change, pointer, words):
    _refused(client, cast, referral_body(cast.institution.member, **change), pointer, words)


def test_required_fields(client, cast):
    body = referral_body(cast.institution.member)
    for name in ("procedure", "basis", "dispute_type", "ip_kinds", "institution_id", "respondent", "language", "summary"):
        _refused(client, cast, {k: v for k, v in body.items() if k != name}, f"/{name}", "Missing")


def test_body_format_and_scopes(client, cast):
    h = cast.claimant.headers
    assert client.post("/v1/referrals", data="x=1", headers=h, content_type="application/x-www-form-urlencoded").status_code == 415
    assert client.post("/v1/referrals", data="{bad", headers=h, content_type="application/json").status_code == 400
    read_only = token_for(cast.claimant.member, scopes=["referrals:read"])
    resp = client.post("/v1/referrals", json=referral_body(cast.institution.member), headers=read_only)
    assert resp.status_code == 403 and resp.json["type"] == "/problems/insufficient-scope"
    no_read = token_for(cast.claimant.member, scopes=["members:read"])
    assert client.get("/v1/referrals", headers=no_read).status_code == 403


# --- the list -------------------------------------------------------------------------------


def test_list_shows_the_callers_referrals_in_every_role_newest_first(client, cast):
    c, r, i = cast.claimant.member, cast.respondent.member, cast.institution.member
    other_centre = InstitutionFactory(name="Singapore IP Arbitration Centre", country="SG")
    as_claimant = make_referral(c, i, r)
    as_respondent = make_referral(r, other_centre, c, procedure="arbitration")
    unrelated = make_referral(r, other_centre, None)
    body = client.get("/v1/referrals", headers=cast.claimant.headers).json
    assert [x["id"] for x in body["data"]] == [as_respondent.id, as_claimant.id]
    assert [x["role"] for x in body["data"]] == ["respondent", "claimant"]
    assert unrelated.id not in [x["id"] for x in client.get("/v1/referrals", headers=cast.institution.headers).json["data"]]

    def ids(query, headers=cast.claimant.headers):
        resp = client.get(f"/v1/referrals?{query}", headers=headers)
        assert resp.status_code == 200, resp.json
        return [x["id"] for x in resp.json["data"]]

    assert ids("role=claimant") == [as_claimant.id]
    assert ids("role=respondent") == [as_respondent.id]
    assert ids("role=institution") == []
    assert ids("procedure=arbitration") == [as_respondent.id]
    assert ids("status=submitted&procedure=mediation") == [as_claimant.id]
    assert ids("status=closed") == []
    assert ids("role=institution", cast.institution.headers) == [as_claimant.id]


def test_list_pages_and_bad_parameters(client, cast):
    made = [make_referral(cast.claimant.member, cast.institution.member).id for _ in range(5)]
    seen, url = [], "/v1/referrals?limit=2"
    while url:
        resp = client.get(url, headers=cast.claimant.headers)
        seen += [x["id"] for x in resp.json["data"]]
        cursor = resp.json["next_cursor"]
        if cursor:
            assert 'rel="next"' in resp.headers["Link"]
        url = f"/v1/referrals?limit=2&cursor={cursor}" if cursor else None
    assert sorted(seen) == sorted(made) and len(seen) == 5
    cursor = client.get("/v1/referrals?limit=1", headers=cast.claimant.headers).json["next_cursor"]
    assert client.get(f"/v1/referrals?limit=1&cursor={cursor}", headers=cast.respondent.headers).status_code == 400
    for query, param in (("role=judge", "role"), ("status=open", "status"), ("procedure=x", "procedure"),
                         ("limit=0", "limit"), ("sort=old", "sort"), ("cursor=forged", "cursor")):
        resp = client.get(f"/v1/referrals?{query}", headers=cast.claimant.headers)
        assert resp.status_code == 400, query
        assert resp.json["errors"][0]["parameter"] == param
