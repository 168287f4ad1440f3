"""platform-admin audit list, and what the other commands leave in the log."""

from __future__ import annotations

from datetime import timedelta

from platform_api.audit.services import record
from platform_api.db import utcnow
from tests.factories.members import MemberFactory

from .helpers import audit_events


def seed(db_session):
    """Three events a minute apart: oldest first."""
    now = utcnow()
    events = [
        record(session=db_session, action="members.add", target_type="member", target_id="m-1", actor="ops:alice"),
        record(session=db_session, action="members.approve", target_type="member", target_id="m-1",
               details={"from": "pending", "to": "active"}, actor="ops:alice"),
        record(session=db_session, action="clients.add", target_type="oauth_client", target_id="cl_x",
               actor="ops:bob"),
    ]
    for i, event in enumerate(events):
        event.occurred_at = now - timedelta(minutes=10 - i)
    db_session.flush()
    return events


def test_list_is_newest_first(cli, db_session):
    seed(db_session)
    data = cli.json("audit", "list")
    assert [e["action"] for e in data[:3]] == ["clients.add", "members.approve", "members.add"]
    assert set(data[0]) == {"id", "occurred_at", "actor", "action", "target_type", "target_id", "details"}
    assert data[1]["details"] == {"from": "pending", "to": "active"}
    assert data[0]["occurred_at"].endswith("Z")


def test_list_filters_by_target_action_and_limit(cli, db_session):
    seed(db_session)
    assert [e["action"] for e in cli.json("audit", "list", "--target", "m-1")] == ["members.approve", "members.add"]
    assert [e["target_id"] for e in cli.json("audit", "list", "--action", "clients.add")] == ["cl_x"]
    assert len(cli.json("audit", "list", "--limit", "1")) == 1
    assert cli("audit", "list", "--limit", "0").exit_code == 2


def test_human_output_is_a_table(cli, db_session):
    seed(db_session)
    lines = cli.ok("audit", "list", "--target", "m-1").stdout.splitlines()
    assert lines[0].split() == ["occurred_at", "actor", "action", "target", "details"]
    assert "members.approve" in lines[2] and "member:m-1" in lines[2] and '"to": "active"' in lines[2]
    assert cli.ok("audit", "list", "--target", "nothing-here").stdout.strip() == "No audit events."


def test_the_actor_comes_from_platform_admin_actor(cli, fresh):
    member = MemberFactory(status="pending")
    cli.ok("members", "approve", member.id, env={"PLATFORM_ADMIN_ACTOR": "ops:wang.fang"})
    [event] = audit_events(fresh(), "members.approve")
    assert event.actor == "ops:wang.fang"


def test_without_platform_admin_actor_the_os_user_is_named(cli, fresh):
    member = MemberFactory(status="pending")
    cli.ok("members", "approve", member.id, env={"PLATFORM_ADMIN_ACTOR": None})
    [event] = audit_events(fresh(), "members.approve")
    assert event.actor.startswith("os:")


def test_a_refused_action_leaves_no_event(cli, fresh):
    member = MemberFactory(status="active")
    cli.fails(1, "members", "reinstate", member.id)
    assert audit_events(fresh(), "members.reinstate") == []
