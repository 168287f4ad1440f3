"""GET /v1/events: order, paging, resuming, filters, errors; the outbox's all-or-nothing; purge."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from platform_api.db import utcnow
from platform_api.events import emit
from platform_api.exceptions import Conflict
from platform_api.events.models import Event, EventLogState, EventRecipient
from platform_api.events.outbox import pending
from platform_api.technologies import services as technologies
from tests.cli.helpers import Cli
from tests.factories.members import MemberFactory
from tests.factories.technologies import make_technology, technology_body

from .helpers import SINCE, headers_for, stream, types


@pytest.fixture
def owner():
    return MemberFactory(kind="university")


@pytest.fixture
def h(owner):
    return headers_for(owner)


def _drafts(client, h, n: int) -> list[str]:
    ids = []
    for _ in range(n):
        resp = client.post("/v1/technologies", headers=h, json=technology_body())
        assert resp.status_code == 201
        ids.append(resp.json["id"])
    return ids


def test_pages_follow_the_stream_oldest_first_and_resume_after_an_event(client, h):
    ids = _drafts(client, h, 5)
    first = client.get("/v1/events?limit=2", headers=h)
    assert first.status_code == 200 and len(first.json["data"]) == 2
    assert first.headers["Link"].endswith('>; rel="next"')
    every = stream(client, h, limit=2)
    assert [e["data"]["object"]["id"] for e in every] == ids
    assert [e["id"] for e in every] == sorted(e["id"] for e in every)  # UUIDv7: IDs sort in time order
    assert [e["created_at"] for e in every] == sorted(e["created_at"] for e in every)
    # a member system resumes after the last event it handled
    rest = client.get(f"/v1/events?after={every[2]['id']}", headers=h).json
    assert [e["id"] for e in rest["data"]] == [e["id"] for e in every[3:]] and rest["next_cursor"] is None
    assert client.get(f"/v1/events?after={every[-1]['id']}", headers=h).json["data"] == []
    # what commits later comes after, whatever was read before
    [later] = _drafts(client, h, 1)
    assert [e["data"]["object"]["id"] for e in client.get(f"/v1/events?after={every[-1]['id']}",
                                                          headers=h).json["data"]] == [later]


def test_filters_by_type_prefix_and_time(client, h):
    [tech] = _drafts(client, h, 1)
    assert client.post(f"/v1/technologies/{tech}/submit", headers=h).status_code == 200
    assert types(stream(client, h, "type=technology.submitted")) == ["technology.submitted"]
    assert types(stream(client, h, "type=technology.*")) == ["technology.created", "technology.submitted"]
    assert types(stream(client, h, "type=*")) == ["technology.created", "technology.submitted"]
    assert stream(client, h, "type=match.*") == []
    future = (utcnow() + timedelta(hours=1)).isoformat()
    assert client.get("/v1/events", headers=h, query_string={"created_after": future}).json["data"] == []
    assert len(client.get("/v1/events", headers=h, query_string={"created_after": SINCE[0]}).json["data"]) == 2


@pytest.mark.parametrize("query, parameter", [
    ("type=match", "type"),
    ("type=nothing.*", "type"),
    ("type=technology.approved", "type"),
    ("created_after=yesterday", "created_after"),
    ("created_after=2026-12-01T10:00:00", "created_after"),  # no offset: ambiguous
    ("after=not-an-event", "after"),
    ("after=0190a5b2-0000-7000-8000-000000000000", "after"),
    ("cursor=forged", "cursor"),
    ("limit=0", "limit"),
])
def test_bad_parameters_are_400_naming_the_parameter(client, h, query, parameter):
    resp = client.get(f"/v1/events?{query}", headers=h)
    assert resp.status_code == 400, resp.json
    assert resp.content_type == "application/problem+json"
    assert [e["parameter"] for e in resp.json["errors"]] == [parameter]


def test_a_cursor_and_after_together_are_refused_and_cursors_are_bound_to_the_query(client, h):
    _drafts(client, h, 3)
    page = client.get("/v1/events?limit=1", headers=h).json
    first = page["data"][0]["id"]
    both = client.get(f"/v1/events?limit=1&cursor={page['next_cursor']}&after={first}", headers=h)
    assert both.status_code == 400 and both.json["errors"][0]["parameter"] == "after"
    other_query = client.get(f"/v1/events?limit=1&type=match.*&cursor={page['next_cursor']}", headers=h)
    assert other_query.status_code == 400
    other_caller = client.get(f"/v1/events?limit=1&cursor={page['next_cursor']}", headers=headers_for(MemberFactory()))
    assert other_caller.status_code == 400


def test_one_event_is_404_for_everyone_it_is_not_for(client, h):
    [tech] = _drafts(client, h, 1)
    [created] = stream(client, h)
    assert client.get(f"/v1/events/{created['id']}", headers=h).json == created
    stranger = headers_for(MemberFactory())
    assert client.get(f"/v1/events/{created['id']}", headers=stranger).status_code == 404
    assert client.get("/v1/events/0190a5b2-0000-7000-8000-000000000000", headers=h).status_code == 404
    assert client.get("/v1/events/%00", headers=h).status_code == 404
    assert created["data"]["object"]["id"] == tech


def test_the_stream_needs_its_scope(client, owner):
    no_scope = headers_for(owner, scopes=["technologies:read"])
    resp = client.get("/v1/events", headers=no_scope)
    assert resp.status_code == 403 and "events:read" in resp.json["detail"]


def _positions(session) -> list[int]:
    return list(session.scalars(select(Event.position).order_by(Event.position)))


def test_an_event_exists_only_if_its_change_commits(db_session, owner):
    tech = make_technology(owner, status="submitted")
    db_session.commit()
    before = _positions(db_session)
    technologies.transition(session=db_session, tech=tech, action="approve")
    assert [e["type"] for e in pending(db_session)] == ["technology.published"]
    db_session.rollback()
    assert pending(db_session) == [] and _positions(db_session) == before
    tech = db_session.get(type(tech), tech.id)
    assert tech.status == "submitted"
    technologies.transition(session=db_session, tech=tech, action="approve")
    db_session.commit()
    after = _positions(db_session)
    assert after[: len(before)] == before and len(after) == len(before) + 1
    assert db_session.get(EventLogState, 1).last_position == after[-1]


def test_a_request_that_fails_after_its_event_was_emitted_leaves_none(client, h, db_session, monkeypatch):
    [tech] = _drafts(client, h, 1)
    count = db_session.scalar(select(func.count()).select_from(Event))
    told = technologies._tell

    def tell_then_fail(session, tech, event_type):
        told(session, tech, event_type)
        assert [e["type"] for e in pending(session)] == [event_type]
        raise Conflict("something later in the request went wrong")

    monkeypatch.setattr(technologies, "_tell", tell_then_fail)
    resp = client.post(f"/v1/technologies/{tech}/submit", headers=h)
    assert resp.status_code == 409
    monkeypatch.setattr(technologies, "_tell", told)
    assert db_session.scalar(select(func.count()).select_from(Event)) == count
    assert types(stream(client, h)) == ["technology.created"]
    assert client.get(f"/v1/technologies/{tech}", headers=h).json["status"] == "draft"


def test_positions_have_no_gaps_and_follow_commit_order(client, h, db_session):
    _drafts(client, h, 3)
    positions = _positions(db_session)
    assert positions == list(range(positions[0], positions[0] + len(positions)))


def test_emit_refuses_unknown_types_and_savepoints(db_session, owner):
    with pytest.raises(ValueError):
        emit(db_session, "technology.exploded", subject=("technology", "x"), recipients={})
    with db_session.begin_nested():
        with pytest.raises(RuntimeError):
            emit(db_session, "technology.created", subject=("technology", "x"), recipients={})


def test_purge_keeps_30_days_at_least_and_removes_older_events_with_their_recipients(app, client, h, db_session):
    _drafts(client, h, 2)
    old = db_session.scalars(select(Event).order_by(Event.position)).first()
    old.created_at = utcnow() - timedelta(days=40)
    old_position = old.position
    db_session.commit()
    cli = Cli(app)
    refused = cli("events", "purge", "--older-than", "7")
    assert refused.exit_code == 2 and "30" in refused.output
    assert cli.json("events", "purge", "--older-than", "90")["deleted"] == 0
    assert cli.json("events", "purge", "--older-than", "30")["deleted"] == 1
    assert old_position not in _positions(db_session)
    assert db_session.scalar(select(func.count()).select_from(EventRecipient)
                             .where(EventRecipient.position == old_position)) == 0
    assert len(stream(client, h)) == 1


def test_many_events_in_one_transaction_are_written_in_chunks_with_contiguous_positions(client, h, owner, db_session,
                                                                                         monkeypatch):
    from platform_api.events import outbox

    monkeypatch.setattr(outbox, "PG_CHUNK", 2)  # PostgreSQL writes a big outbox in chunks
    before = _positions(db_session)
    for i in range(5):
        emit(db_session, "technology.deleted", subject=("technology", f"t-{i}"),
             recipients={owner.id: {"object": {"id": f"t-{i}", "status": "deleted"}}})
    db_session.commit()
    new = _positions(db_session)[len(before):]
    assert len(new) == 5 and new == list(range(new[0], new[0] + 5))
    assert [e["data"]["object"]["id"] for e in stream(client, h)] == [f"t-{i}" for i in range(5)]
