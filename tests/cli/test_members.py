"""platform-admin members: add, status changes, list, show."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from platform_api.accounts.models import User
from platform_api.members.models import Member
from platform_api.oauth.models import OAuthClient, Token
from tests.factories.accounts import UserFactory
from tests.factories.members import MemberFactory
from tests.factories.oauth import ClientFactory, make_token

from .helpers import audit_events, count

ADMIN_VIEW_KEYS = {
    "id", "name", "kind", "country", "overseas", "website", "description", "contact", "created_at",
    "status", "email", "updated_at", "status_reason",
}


def test_add_creates_a_pending_member_and_says_so(cli, fresh):
    result = cli.ok("members", "add", "--name", "Fraunhofer-Gesellschaft", "--kind", "research_institute",
                    "--country", "DE", "--email", "patents@fraunhofer.example",
                    "--website", "https://www.fraunhofer.de")
    member = fresh().scalars(select(Member).where(Member.name == "Fraunhofer-Gesellschaft")).one()
    assert result.stdout.strip() == f"Added member {member.id} (Fraunhofer-Gesellschaft), status pending"
    assert (member.status, member.kind, member.country) == ("pending", "research_institute", "DE")
    assert member.email == "patents@fraunhofer.example"
    [event] = audit_events(fresh(), "members.add")
    assert event.target_type == "member" and event.target_id == member.id
    assert event.details == {"name": "Fraunhofer-Gesellschaft", "kind": "research_institute", "country": "DE"}
    assert event.actor


def test_add_json_prints_the_admin_view_only(cli, fresh):
    data = cli.json("members", "add", "--name", "清华大学", "--kind", "university", "--country", "CN")
    assert set(data) == ADMIN_VIEW_KEYS
    assert data["status"] == "pending" and data["overseas"] is False and data["email"] is None
    assert fresh().get(Member, data["id"]).name == "清华大学"


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--kind", "bank", "--country", "CN"], "--kind"),
        (["--kind", "university", "--country", "XX"], "--country"),
        (["--kind", "university", "--country", "de"], "--country"),
        (["--kind", "university", "--country", "CN", "--email", "not-an-email"], "--email"),
        (["--kind", "university", "--country", "CN", "--website", "ftp://files.example"], "--website"),
    ],
)
def test_add_refuses_bad_input_naming_the_option(cli, fresh, args, option):
    before = count(fresh(), Member)
    result = cli.fails(2, "members", "add", "--name", "Some University", *args)
    assert f"Invalid value for '{option}'" in result.stderr
    assert count(fresh(), Member) == before
    assert audit_events(fresh(), "members.add") == []


def test_add_reports_every_bad_field_at_once(cli):
    result = cli.fails(2, "members", "add", "--name", "X", "--kind", "bank", "--country", "XX")
    assert "'--kind'" in result.stderr and "'--country'" in result.stderr


def test_approve_activates_a_pending_member(cli, fresh):
    member = MemberFactory(status="pending")
    result = cli.ok("members", "approve", member.id)
    assert result.stdout.startswith(f"Approved member {member.id}")
    assert fresh().get(Member, member.id).status == "active"
    [event] = audit_events(fresh(), "members.approve")
    assert event.target_id == member.id and event.details["from"] == "pending" and event.details["to"] == "active"


def test_unknown_member_id_is_refused(cli):
    for command in (["approve"], ["reinstate"], ["suspend", "--reason", "x"], ["terminate", "--reason", "x"], ["show"]):
        result = cli.fails(1, "members", command[0], "no-such-id", *command[1:])
        assert "No member with ID 'no-such-id'" in result.stderr
    assert "No member with ID" in cli.fails(1, "members", "show", "abc\x00").stderr


def test_illegal_transition_is_refused_with_the_allowed_actions(cli, fresh):
    member = MemberFactory(status="active")
    result = cli.fails(1, "members", "approve", member.id)
    assert "Cannot approve a member in status 'active'; allowed: suspend, terminate." in result.stderr
    assert fresh().get(Member, member.id).status == "active"
    assert audit_events(fresh(), "members.approve") == []


def test_termination_is_final(cli, fresh):
    member = MemberFactory(status="terminated")
    result = cli.fails(1, "members", "reinstate", member.id)
    assert "it is final" in result.stderr
    assert fresh().get(Member, member.id).status == "terminated"


def test_suspend_needs_a_reason(cli, fresh):
    member = MemberFactory()
    result = cli("members", "suspend", member.id)
    assert result.exit_code == 2 and "--reason" in result.stderr
    result = cli("members", "suspend", member.id, "--reason", "   ")
    assert result.exit_code == 2 and "blank" in result.stderr
    assert fresh().get(Member, member.id).status == "active"


def test_suspend_revokes_the_members_live_tokens_only(cli, fresh):
    member = MemberFactory()
    client = ClientFactory(member=member)
    live1, _ = make_token(client)
    live2, _ = make_token(client)
    already, _ = make_token(client)
    earlier = already.issued_at
    already.revoked_at = earlier
    other, _ = make_token(ClientFactory())
    fresh().flush()

    data = cli.json("members", "suspend", member.id, "--reason", "Membership fee unpaid")
    assert data["status"] == "suspended" and data["status_reason"] == "Membership fee unpaid"
    assert data["revoked_tokens"] == 2
    s = fresh()
    assert s.get(Token, live1.id).revoked_at is not None
    assert s.get(Token, live2.id).revoked_at is not None
    assert s.get(Token, already.id).revoked_at == earlier
    assert s.get(Token, other.id).revoked_at is None
    [event] = audit_events(s, "members.suspend")
    assert event.details == {"from": "active", "to": "suspended", "reason": "Membership fee unpaid",
                             "revoked_tokens": 2}


def test_reinstating_does_not_bring_old_tokens_back(cli, fresh, client):
    member = MemberFactory()
    token, value = make_token(ClientFactory(member=member))
    cli.ok("members", "suspend", member.id, "--reason", "audit pending")
    result = cli.ok("members", "reinstate", member.id)
    assert "Reinstated member" in result.stdout
    s = fresh()
    assert s.get(Member, member.id).status == "active" and s.get(Member, member.id).status_reason is None
    assert s.get(Token, token.id).revoked_at is not None
    assert client.get("/v1/me", headers={"Authorization": f"Bearer {value}"}).status_code == 401


def test_terminate_revokes_clients_tokens_and_disables_users(cli, fresh):
    member = MemberFactory(status="suspended")
    clients = [ClientFactory(member=member), ClientFactory(member=member)]
    user = UserFactory(member=member)
    token, _ = make_token(clients[0], user=user)
    bystander = UserFactory()

    data = cli.json("members", "terminate", member.id, "--reason", "Dissolved")
    assert (data["status"], data["revoked_tokens"], data["revoked_clients"], data["disabled_users"]) == (
        "terminated", 1, 2, 1)
    s = fresh()
    assert all(s.get(OAuthClient, c.id).revoked_at is not None for c in clients)
    assert s.get(User, user.id).disabled_at is not None
    assert s.get(User, bystander.id).disabled_at is None
    assert s.get(Token, token.id).revoked_at is not None
    [event] = audit_events(s, "members.terminate")
    assert event.details["revoked_clients"] == 2 and event.details["reason"] == "Dissolved"


def test_list_shows_a_table_and_filters(cli):
    MemberFactory(name="Technische Universität München", country="DE", status="active")
    MemberFactory(name="Pending Bank", kind="financial_institution", status="pending")
    result = cli.ok("members", "list", "--status", "active")
    header = result.stdout.splitlines()[0].split()
    assert header == ["id", "name", "kind", "country", "status"]
    assert "Technische Universität München" in result.stdout and "Pending Bank" not in result.stdout

    data = cli.json("members", "list", "--kind", "financial_institution")
    assert [m["name"] for m in data] == ["Pending Bank"]
    assert set(data[0]) == ADMIN_VIEW_KEYS


def test_list_refuses_an_unknown_status(cli):
    result = cli("members", "list", "--status", "dormant")
    assert result.exit_code == 2 and "dormant" in result.stderr


def test_show_prints_every_admin_field(cli):
    member = MemberFactory(name="Oxford University Innovation", country="GB", kind="tech_transfer_agency",
                           status="suspended", status_reason="Review")
    text = cli.ok("members", "show", member.id).stdout
    for key in ADMIN_VIEW_KEYS:
        assert any(line.split()[0] == key for line in text.splitlines()), key
    assert "Oxford University Innovation" in text and "Review" in text
    data = cli.json("members", "show", member.id)
    assert set(data) == ADMIN_VIEW_KEYS
    assert data["overseas"] is True and data["status_reason"] == "Review"
