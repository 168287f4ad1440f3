"""The database keeps timelines append-only; references and the chain hold under concurrency."""

from __future__ import annotations

import hashlib
import json
import threading

import pytest
from sqlalchemy import delete, select, text
from sqlalchemy.exc import DBAPIError

from platform_api import create_app, migrate
from platform_api.db import get_db
from platform_api.referrals import chain, representations, services
from platform_api.referrals.models import Referral, ReferralEvent
from platform_api.referrals import references
from platform_api.referrals.references import next_reference
from tests.factories.base import current_session, set_session
from tests.factories.members import MemberFactory
from tests.factories.referrals import InstitutionFactory, make_referral, post_event, referral_body, token_for


def test_the_database_refuses_to_update_or_delete_an_event(cast, db_session):
    referral = make_referral(cast.claimant.member, cast.institution.member)
    for sql in ("UPDATE referral_events SET type = 'note' WHERE referral_id = :rid",
                "UPDATE referral_events SET hash = :zeros WHERE referral_id = :rid",
                "DELETE FROM referral_events WHERE referral_id = :rid"):
        with pytest.raises(DBAPIError) as caught, db_session.begin_nested():
            db_session.execute(text(sql), {"rid": referral.id, "zeros": "0" * 64})
        assert "append-only" in str(caught.value.orig)
    assert db_session.scalar(select(ReferralEvent.type).where(ReferralEvent.referral_id == referral.id)) == "submitted"


def test_the_orm_cannot_change_an_event_either(cast, db_session):
    referral = make_referral(cast.claimant.member, cast.institution.member)
    event = db_session.scalars(select(ReferralEvent).where(ReferralEvent.referral_id == referral.id)).one()
    with pytest.raises(DBAPIError), db_session.begin_nested():
        event.data = {**event.data, "summary": "rewritten"}
    db_session.expire_all()
    event = db_session.scalars(select(ReferralEvent).where(ReferralEvent.referral_id == referral.id)).one()
    assert event.data["summary"] != "rewritten"
    with pytest.raises(DBAPIError), db_session.begin_nested():
        db_session.delete(event)


def test_postgresql_refuses_truncate_too(cast, db_session, is_postgres):
    if not is_postgres:
        pytest.skip("SQLite has no TRUNCATE")
    make_referral(cast.claimant.member, cast.institution.member)
    with pytest.raises(DBAPIError), db_session.begin_nested():
        db_session.execute(text("TRUNCATE referral_events"))


def test_sequence_is_unique_per_referral(cast, db_session):
    referral = make_referral(cast.claimant.member, cast.institution.member)
    first = db_session.scalars(select(ReferralEvent).where(ReferralEvent.referral_id == referral.id)).one()
    fork = ReferralEvent(referral_id=referral.id, sequence=1, type="note", actor_member_id=cast.claimant.id,
                         actor_member_name="x", occurred_at=first.occurred_at, data={"text": "fork"},
                         prev_hash=chain.GENESIS, hash="1" * 64)
    with pytest.raises(DBAPIError), db_session.begin_nested():
        db_session.add(fork)


def test_references_tell_nothing_about_other_referrals(db_session):
    """Issue 15 finding 2: REF-2026-000002 told a new claimant one other referral existed."""
    import re

    drawn = [next_reference(db_session, 2031) for _ in range(200)]
    assert all(re.fullmatch(r"REF-2031-[0-9A-HJKMNP-TV-Z]{10}", ref) for ref in drawn)
    assert len(set(drawn)) == 200
    # Every character position takes many values: nothing counts up.
    assert all(len({ref[9 + i] for ref in drawn}) > 10 for i in range(references.LENGTH))


def test_a_reference_already_taken_is_drawn_again(cast, db_session, monkeypatch):
    taken = make_referral(cast.claimant.member, cast.institution.member).reference
    year = int(taken.split("-")[1])
    draws = iter([taken, taken, f"REF-{year}-ABCDEFGHJK"])
    monkeypatch.setattr(references, "new_reference", lambda _year: next(draws))
    assert next_reference(db_session, year) == f"REF-{year}-ABCDEFGHJK"


def test_the_hash_is_sha256_over_prev_hash_and_canonical_json(cast):
    referral = make_referral(cast.claimant.member, cast.institution.member, summary="Licence de brevet 专利许可 — ünïcode")
    event = post_event(referral, cast.institution.member, "acknowledged", note="Reçu.")
    doc = chain.document(event)
    assert set(doc) == {"referral_id", "sequence", "type", "actor", "occurred_at", "case_number", "note"}
    canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert canonical.startswith('{"actor":{"member_id":') and '"note":"Reçu."' in canonical
    assert '"case_number":null,' in canonical and "\\u" not in canonical
    assert event.hash == hashlib.sha256((event.prev_hash + canonical).encode("utf-8")).hexdigest()
    assert representations.referral_event(event) == {**doc, "prev_hash": event.prev_hash, "hash": event.hash}
    assert event.occurred_at.microsecond % 1000 == 0
    _checked, _events, breaks = services.verify(session=current_session(), referral=referral)
    assert breaks == []


def test_submitted_event_carries_the_facts_as_stored(cast):
    referral = make_referral(cast.claimant.member, cast.institution.member, cast.respondent.member,
                             amount_in_dispute={"amount": "99", "currency": "CNY"})
    event = current_session().scalars(services.events_query(referral)).first()
    assert event.data["amount_in_dispute"] == {"amount": "99.00", "currency": "CNY"}
    assert event.data["respondent"] == {"member_id": cast.respondent.id}
    assert event.data["institution_id"] == cast.institution.id


# --- concurrency, on real transactions ------------------------------------------------------


@pytest.fixture
def live_app(settings_overrides, database_url, tmp_path):
    """An app on committed transactions (not the test's rolled-back one), cleaned up after.

    SQLite gets a database of its own (the test's open transaction holds the write lock of the
    shared one); PostgreSQL shares the test database, and what the test commits is removed.
    """
    url = database_url
    if url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
        migrate.upgrade(url)
    application = create_app({**settings_overrides, "database_url": url})
    made: dict[str, list] = {"members": [], "referrals": []}
    application.extensions["made"] = made
    yield application
    if url.startswith("postgresql"):
        _remove(application, made)
    get_db(application).dispose()


def _remove(application, made) -> None:
    from platform_api.api.idempotency import IdempotencyRecord
    from platform_api.oauth.models import OAuthClient, Token

    engine = get_db(application).engine
    with engine.begin() as conn:
        ids = [r[0] for r in conn.execute(select(Referral.id).where(Referral.claimant_id.in_(made["members"])))]
        conn.execute(text("ALTER TABLE referral_events DISABLE TRIGGER referral_events_append_only"))
        conn.execute(delete(ReferralEvent).where(ReferralEvent.referral_id.in_(ids)))
        conn.execute(text("ALTER TABLE referral_events ENABLE TRIGGER referral_events_append_only"))
        conn.execute(delete(Referral).where(Referral.id.in_(ids)))
        clients = select(OAuthClient.id).where(OAuthClient.member_id.in_(made["members"]))
        conn.execute(delete(IdempotencyRecord).where(IdempotencyRecord.client_pk.in_(clients)))
        conn.execute(delete(Token).where(Token.member_id.in_(made["members"])))
        conn.execute(delete(OAuthClient).where(OAuthClient.member_id.in_(made["members"])))
        from platform_api.members.models import Member

        conn.execute(delete(Member).where(Member.id.in_(made["members"])))


def _committed_cast(application):
    """Claimant, institution and their tokens, committed; returns (members, headers)."""
    test_session = current_session()
    s = get_db(application).sessionmaker()
    set_session(s)
    try:
        claimant = MemberFactory(kind="enterprise")
        institution = InstitutionFactory()
        headers = {"claimant": token_for(claimant), "institution": token_for(institution)}
        ids = (claimant.id, institution.id)
        application.extensions["made"]["members"] += list(ids)
        body = referral_body(institution)
        s.commit()
    finally:
        set_session(test_session)
        s.close()
    return body, headers


def _in_parallel(count: int, call) -> list:
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i):
        barrier.wait()
        results[i] = call(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def test_concurrent_events_never_fork_the_chain(live_app):
    body, headers = _committed_cast(live_app)
    created = live_app.test_client().post("/v1/referrals", json=body, headers=headers["claimant"])
    assert created.status_code == 201, created.json
    rid = created.json["id"]
    who = ["claimant", "institution"]

    def post(i):
        resp = live_app.test_client().post(f"/v1/referrals/{rid}/events", json={"type": "note", "text": f"Note {i}"},
                                           headers=headers[who[i % 2]])
        return resp.status_code

    statuses = _in_parallel(8, post)
    assert statuses == [201] * 8
    events = live_app.test_client().get(f"/v1/referrals/{rid}/events", headers=headers["claimant"]).json["data"]
    assert [e["sequence"] for e in events] == list(range(1, 10))
    assert [e["hash"] for e in events[:-1]] == [e["prev_hash"] for e in events[1:]]
    s = get_db(live_app).sessionmaker()
    try:
        assert services.verify(session=s, referral=s.get(Referral, rid))[2] == []
    finally:
        s.close()


def test_concurrent_creations_get_distinct_references(live_app):
    body, headers = _committed_cast(live_app)

    def create(_i):
        resp = live_app.test_client().post("/v1/referrals", json=body, headers=headers["claimant"])
        return resp.status_code, resp.get_json().get("reference")

    results = _in_parallel(6, create)
    assert [status for status, _ref in results] == [201] * 6
    assert len({ref for _status, ref in results}) == 6
