"""platform-admin referrals verify / list: the chains recomputed, breaks found and reported."""

from __future__ import annotations

import json

from sqlalchemy import select, text

from platform_api.referrals import chain
from platform_api.referrals.models import ReferralEvent
from tests.factories.referrals import make_referral, post_event

from .tampering import tamper


def _run_through(cast):
    referral = make_referral(cast.claimant.member, cast.institution.member, cast.respondent.member)
    inst = cast.institution.member
    post_event(referral, inst, "acknowledged")
    post_event(referral, inst, "neutral_appointed", neutral={"name": "Dr. Anna Keller", "role": "mediator"})
    post_event(referral, cast.respondent.member, "note", text="We accept the mediator.")
    post_event(referral, inst, "closed", outcome="settled")
    return referral


def test_intact_chains_pass(cli, cast):
    first = _run_through(cast)
    make_referral(cast.claimant.member, cast.institution.member)
    result = cli.ok("referrals", "verify")
    assert "every chain is intact" in result.stdout
    data = cli.json("referrals", "verify")
    assert data["intact"] is True and data["breaks"] == []
    assert data["referrals_checked"] >= 2 and data["events_checked"] >= 6
    one = cli.json("referrals", "verify", first.id)
    assert (one["referrals_checked"], one["events_checked"]) == (1, 5)


def test_an_event_edited_behind_the_apis_back_is_found(cli, cast, db_session):
    referral = _run_through(cast)
    stored = db_session.scalar(
        select(ReferralEvent.hash).where(ReferralEvent.referral_id == referral.id, ReferralEvent.sequence == 3)
    )
    tamper(db_session, "UPDATE referral_events SET actor_member_name = 'Someone Else' "
                       "WHERE referral_id = :rid AND sequence = 3", rid=referral.id)
    result = cli("referrals", "verify", referral.id, "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["intact"] is False
    [found] = report["breaks"]
    event = db_session.query(ReferralEvent).filter_by(referral_id=referral.id, sequence=3).one()
    assert event.actor_member_name == "Someone Else"
    assert found == {
        "referral_id": referral.id,
        "reference": referral.reference,
        "sequence": 3,
        "problem": "hash does not match the event's content",
        "expected": chain.compute_hash(event.prev_hash, chain.document(event)),
        "stored": stored,
    }
    text_result = cli("referrals", "verify")
    assert text_result.exit_code == 1
    assert f"{referral.reference} ({referral.id}) event 3: hash does not match" in text_result.stdout
    assert f"stored {stored}" in text_result.stdout


def test_a_rewritten_event_with_a_recomputed_hash_breaks_the_next_link(cli, cast, db_session):
    referral = _run_through(cast)
    event = db_session.query(ReferralEvent).filter_by(referral_id=referral.id, sequence=2).one()
    forged = dict(chain.document(event), case_number="FORGED")
    forged_hash = chain.compute_hash(event.prev_hash, forged)
    data = {**event.data, "case_number": "FORGED"}
    tamper(db_session, "UPDATE referral_events SET data = :data, hash = :hash WHERE id = :id",
           data=json.dumps(data), hash=forged_hash, id=event.id)
    report = json.loads(cli("referrals", "verify", referral.id, "--json").stdout)
    assert [(b["sequence"], b["problem"]) for b in report["breaks"]] == [
        (3, "prev_hash is not the previous event's hash")
    ]
    assert report["breaks"][0]["stored"] != forged_hash and report["breaks"][0]["expected"] == forged_hash


def test_a_removed_event_and_a_crafted_one_are_found(cli, cast, db_session):
    referral = _run_through(cast)
    tamper(db_session, "DELETE FROM referral_events WHERE referral_id = :rid AND sequence = 4", rid=referral.id)
    report = json.loads(cli("referrals", "verify", referral.id, "--json").stdout)
    problems = {(b["sequence"], b["problem"]) for b in report["breaks"]}
    assert (5, "sequence out of order") in problems
    assert (5, "prev_hash is not the previous event's hash") in problems

    other = make_referral(cast.claimant.member, cast.institution.member)
    db_session.execute(text(
        "INSERT INTO referral_events (id, referral_id, sequence, type, actor_member_id, actor_member_name, "
        "occurred_at, data, prev_hash, hash) VALUES (:id, :rid, 2, 'note', :actor, 'X', :at, :data, :prev, :hash)"
    ), {"id": "11111111-1111-4111-8111-111111111111", "rid": other.id, "actor": cast.claimant.id,
        "at": "2026-01-01 00:00:00.000000", "data": json.dumps({"text": "crafted"}), "prev": "f" * 64, "hash": "e" * 64})
    report = json.loads(cli("referrals", "verify", other.id, "--json").stdout)
    assert {b["problem"] for b in report["breaks"]} == {
        "prev_hash is not the previous event's hash", "hash does not match the event's content"
    }


def test_edits_to_the_referral_row_are_found_without_printing_the_facts(cli, cast, db_session):
    referral = _run_through(cast)
    db_session.execute(text("UPDATE referrals SET summary = 'A different story', seat = 'Paris, FR', "
                            "status = 'in_progress', outcome = NULL WHERE id = :id"), {"id": referral.id})
    result = cli("referrals", "verify", referral.id)
    assert result.exit_code == 1
    assert "case facts differ from its submitted event in: seat, summary" in result.stdout
    assert "status is not the one its timeline leads to: expected closed/settled, stored in_progress/-" in result.stdout
    assert "A different story" not in result.output and "Royalties" not in result.output


def test_unknown_id_is_refused(cli):
    result = cli.fails(1, "referrals", "verify", "no-such-referral")
    assert "No referral with ID 'no-such-referral'" in result.stderr


def test_list_shows_every_referral_without_summaries(cli, cast):
    referral = _run_through(cast)
    result = cli.ok("referrals", "list")
    assert referral.reference in result.stdout and "closed" in result.stdout
    assert "Royalties" not in result.stdout
    data = cli.json("referrals", "list", "--status", "closed")
    mine = [r for r in data if r["id"] == referral.id]
    assert mine and mine[0]["outcome"] == "settled" and "summary" not in mine[0]
    assert mine[0]["respondent"] == {"id": cast.respondent.id, "name": "Lyon Optique SAS"}
    assert all(r["status"] == "closed" for r in data)
