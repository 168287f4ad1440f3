"""POST and GET /v1/referrals/{id}/events: who may post what, when, and what it leads to."""

from __future__ import annotations

import pytest

from tests.factories.accounts import UserFactory
from tests.factories.oauth import ClientFactory, make_token
from tests.factories.referrals import make_referral, post_event

from .helpers import recompute, timeline


@pytest.fixture
def referral(cast):
    return make_referral(cast.claimant.member, cast.institution.member, cast.respondent.member)


def _post(client, referral, headers, **body):
    return client.post(f"/v1/referrals/{referral.id}/events", json=body, headers=headers)


def _status(client, referral, headers):
    body = client.get(f"/v1/referrals/{referral.id}", headers=headers).json
    return body["status"], body["outcome"]


@pytest.mark.parametrize(
    ("who", "body"),
    [
        ("respondent", {"type": "acknowledged"}),
        ("respondent", {"type": "withdrawn"}),
        ("claimant", {"type": "acknowledged"}),
        ("claimant", {"type": "closed", "outcome": "settled"}),
        ("claimant", {"type": "declined", "reason": "No."}),
        ("institution", {"type": "withdrawn"}),
    ],
)
def test_a_party_posting_an_event_type_it_may_not_post_is_403(client, cast, referral, who, body):
    resp = _post(client, referral, getattr(cast, who).headers, **body)
    assert resp.status_code == 403, resp.json
    assert resp.json["type"] == "/problems/forbidden"
    assert body["type"] in resp.json["detail"]
    assert _status(client, referral, cast.claimant.headers) == ("submitted", None)


def test_an_event_the_status_does_not_allow_is_409_naming_the_allowed_types(client, cast, referral):
    inst = cast.institution.headers
    early = _post(client, referral, inst, type="neutral_appointed", neutral={"name": "A. Mediator", "role": "mediator"})
    assert early.status_code == 409, early.json
    assert early.json["allowed_actions"] == ["acknowledged", "declined", "closed", "note"]
    assert "acknowledged, declined, closed, note" in early.json["detail"]
    assert _post(client, referral, inst, type="acknowledged").status_code == 201
    twice = _post(client, referral, inst, type="acknowledged")
    assert twice.status_code == 409
    assert twice.json["allowed_actions"] == ["neutral_appointed", "hearing_scheduled", "closed", "note"]
    assert _post(client, referral, cast.claimant.headers, type="withdrawn", reason="Settled directly.").status_code == 201
    assert _status(client, referral, inst) == ("closed", "withdrawn")
    after = _post(client, referral, cast.claimant.headers, type="withdrawn")
    assert after.status_code == 409 and after.json["allowed_actions"] == ["note"]
    assert _post(client, referral, inst, type="closed", outcome="settled").status_code == 409
    # Notes stay welcome after the end.
    assert _post(client, referral, cast.respondent.headers, type="note", text="Paid in full.").status_code == 201


def test_declined_is_final_but_for_notes(client, cast, referral):
    inst = cast.institution.headers
    resp = _post(client, referral, inst, type="declined", reason="Outside our rules: no agreement to mediate.")
    assert resp.status_code == 201 and resp.json["reason"].startswith("Outside")
    assert _status(client, referral, inst) == ("declined", None)
    for who, body in (("institution", {"type": "acknowledged"}), ("claimant", {"type": "withdrawn"}),
                      ("institution", {"type": "closed", "outcome": "no_settlement"})):
        resp = _post(client, referral, getattr(cast, who).headers, **body)
        assert resp.status_code == 409, (who, body)
    assert _post(client, referral, cast.claimant.headers, type="note", text="We will go to court.").status_code == 201


def test_hearings_move_the_referral_in_progress_and_are_stored_in_utc(client, cast, referral):
    inst = cast.institution.headers
    _post(client, referral, inst, type="acknowledged")
    resp = _post(client, referral, inst, type="hearing_scheduled", starts_at="2027-03-02T09:30:00+01:00",
                 place="Palais des Nations, Geneva", online=True)
    assert resp.status_code == 201, resp.json
    assert resp.json["starts_at"] == "2027-03-02T08:30:00.000Z"
    assert (resp.json["place"], resp.json["online"], resp.json["note"]) == ("Palais des Nations, Geneva", True, None)
    assert _status(client, referral, inst) == ("in_progress", None)
    online = _post(client, referral, inst, type="hearing_scheduled", starts_at="2027-04-01T02:00:00Z", online=True)
    assert online.status_code == 201 and online.json["place"] is None
    assert _status(client, referral, inst) == ("in_progress", None)


@pytest.mark.parametrize(
    ("body", "pointer", "words"),
    [
        ({"starts_at": "2027-03-02T09:30:00"}, "/starts_at", ""),
        ({"starts_at": "next tuesday", "online": True}, "/starts_at", ""),
        ({"starts_at": "1999-03-02T09:30:00Z", "online": True}, "/starts_at", "2000"),
        ({"starts_at": "2027-03-02T09:30:00Z"}, "/place", "online"),
        ({"starts_at": "2027-03-02T09:30:00Z", "online": "yes"}, "/online", "true or false"),
        ({"starts_at": "2027-03-02T09:30:00Z", "online": 1}, "/online", "true or false"),
        ({"starts_at": "2027-03-02T09:30:00Z", "place": "x" * 301}, "/place", "at most 300"),
        ({"online": True}, "/starts_at", "Missing"),
    ],
)
def test_hearing_validation(client, cast, referral, body, pointer, words):
    _post(client, referral, cast.institution.headers, type="acknowledged")
    resp = _post(client, referral, cast.institution.headers, type="hearing_scheduled", **body)
    assert resp.status_code == 422, resp.json
    pointers = {e["pointer"]: e["detail"] for e in resp.json["errors"]}
    assert pointer in pointers and words.lower() in pointers[pointer].lower(), pointers


@pytest.mark.parametrize(
    ("procedure", "outcome", "ok"),
    [
        ("mediation", "settled", True),
        ("mediation", "no_settlement", True),
        ("mediation", "award_rendered", False),
        ("arbitration", "award_rendered", True),
        ("expedited_arbitration", "award_rendered", True),
        ("arbitration", "determination_issued", False),
        ("expert_determination", "determination_issued", True),
        ("expert_determination", "award_rendered", False),
    ],
)
def test_the_outcome_must_suit_the_procedure(client, cast, procedure, outcome, ok):
    referral = make_referral(cast.claimant.member, cast.institution.member, cast.respondent.member, procedure=procedure)
    resp = _post(client, referral, cast.institution.headers, type="closed", outcome=outcome)
    assert resp.status_code == (201 if ok else 422), resp.json
    if not ok:
        assert resp.json["errors"][0]["pointer"] == "/outcome"
        assert _status(client, referral, cast.claimant.headers) == ("submitted", None)
    else:
        assert _status(client, referral, cast.claimant.headers) == ("closed", outcome)


@pytest.mark.parametrize(
    ("body", "pointer", "words"),
    [
        ({}, "/type", "Missing"),
        ({"type": "hearing"}, "/type", "one of"),
        ({"type": "submitted"}, "/type", "POST /v1/referrals"),
        ({"type": ["note"]}, "/type", "one of"),
        ({"type": "closed", "outcome": "withdrawn"}, "/outcome", "claimant"),
        ({"type": "closed", "outcome": "won"}, "/outcome", "one of"),
        ({"type": "closed"}, "/outcome", "Missing"),
        ({"type": "note", "text": "hi", "outcome": "settled"}, "/outcome", "Unknown"),
        ({"type": "note"}, "/text", "Missing"),
        ({"type": "note", "text": "x" * 4001}, "/text", "at most 4000"),
        ({"type": "note", "text": "a\u0000b"}, "/text", "control"),
        ({"type": "declined"}, "/reason", "Missing"),
        ({"type": "acknowledged", "case_number": "c" * 101}, "/case_number", "at most 100"),
        ({"type": "acknowledged", "sequence": 7}, "/sequence", "Unknown"),
        ({"type": "acknowledged", "hash": "0" * 64}, "/hash", "Unknown"),
    ],
)
def test_event_validation_points_at_the_field(client, cast, referral, body, pointer, words):
    resp = _post(client, referral, cast.institution.headers, **body)
    assert resp.status_code == 422, resp.json
    pointers = {e["pointer"]: e["detail"] for e in resp.json["errors"]}
    assert pointer in pointers and words.lower() in pointers[pointer].lower(), pointers
    assert len(timeline(client, referral.id, cast.institution.headers)) == 1


def test_neutral_validation(client, cast, referral):
    _post(client, referral, cast.institution.headers, type="acknowledged")
    for neutral, pointer in (({"name": "A"}, "/neutral/role"), ({"role": "judge", "name": "A"}, "/neutral/role"),
                             ({"role": "mediator"}, "/neutral/name"), ("A. Mediator", "/neutral")):
        resp = _post(client, referral, cast.institution.headers, type="neutral_appointed", neutral=neutral)
        assert resp.status_code == 422
        assert pointer in {e["pointer"] for e in resp.json["errors"]}, (neutral, resp.json)


def test_every_party_may_add_notes_and_a_person_is_named_as_actor(client, cast, referral):
    person = UserFactory(member=cast.respondent.member, email="counsel@lyon-optique.example")
    _t, value = make_token(ClientFactory(member=cast.respondent.member), scopes=["referrals:write"], user=person)
    signed_in = {"Authorization": f"Bearer {value}"}
    for headers in (cast.claimant.headers, cast.institution.headers, signed_in):
        resp = _post(client, referral, headers, type="note", text="Noted.\nSecond line.")
        assert resp.status_code == 201, resp.json
    events = timeline(client, referral.id, cast.claimant.headers)
    assert [e["type"] for e in events] == ["submitted", "note", "note", "note"]
    assert events[3]["actor"] == {"member_id": cast.respondent.id, "member_name": "Lyon Optique SAS",
                                  "person": {"id": person.id, "email": "counsel@lyon-optique.example"}}
    assert events[1]["text"] == "Noted.\nSecond line."
    assert recompute(events) == []
    assert _status(client, referral, cast.claimant.headers) == ("submitted", None)


def test_the_timeline_pages_oldest_first(client, cast, referral):
    for i in range(6):
        post_event(referral, cast.claimant.member, "note", text=f"Note {i}")
    first = client.get(f"/v1/referrals/{referral.id}/events?limit=3", headers=cast.claimant.headers)
    assert [e["sequence"] for e in first.json["data"]] == [1, 2, 3]
    assert 'rel="next"' in first.headers["Link"]
    events = timeline(client, referral.id, cast.claimant.headers, limit=3)
    assert [e["sequence"] for e in events] == list(range(1, 8))
    assert recompute(events) == []
    cursor = first.json["next_cursor"]
    other = make_referral(cast.claimant.member, cast.institution.member)
    for url, headers in ((f"/v1/referrals/{other.id}/events?limit=3&cursor={cursor}", cast.claimant.headers),
                         (f"/v1/referrals/{referral.id}/events?limit=3&cursor={cursor}", cast.respondent.headers),
                         (f"/v1/referrals/{referral.id}/events?cursor=forged", cast.claimant.headers),
                         (f"/v1/referrals/{referral.id}/events?role=claimant", cast.claimant.headers)):
        resp = client.get(url, headers=headers)
        assert resp.status_code == 400, url


def test_an_idempotent_event_post_appends_once(client, cast, referral):
    headers = {**cast.institution.headers, "Idempotency-Key": "ack-1"}
    first = _post(client, referral, headers, type="acknowledged")
    again = _post(client, referral, headers, type="acknowledged")
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true" and again.json == first.json
    assert len(timeline(client, referral.id, cast.institution.headers)) == 2


def test_scopes_and_body_format(client, cast, referral):
    from tests.factories.referrals import token_for

    read_only = token_for(cast.institution.member, scopes=["referrals:read"])
    assert _post(client, referral, read_only, type="acknowledged").json["type"] == "/problems/insufficient-scope"
    url = f"/v1/referrals/{referral.id}/events"
    h = cast.institution.headers
    assert client.post(url, data="type=note", headers=h, content_type="application/x-www-form-urlencoded").status_code == 415
    assert client.post(url, data="[]", headers=h, content_type="application/json").status_code == 400
