"""platform-admin users, and the account services behind sign-in."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from platform_api.accounts import services as accounts
from platform_api.accounts.models import User
from platform_api.oauth.models import Token
from platform_api.security import check_password
from tests.factories.accounts import DEFAULT_PASSWORD, UserFactory
from tests.factories.members import MemberFactory
from tests.factories.oauth import ClientFactory, make_token

from .helpers import audit_events, count

PASSWORD = "Zhongguancun-2026 patents"


def add(cli, member_id: str, email: str, *extra: str, password: str = PASSWORD + "\n"):
    return cli("users", "add", "--member", member_id, "--email", email, "--password-stdin", *extra, input=password)


def test_add_hashes_the_password_and_lowercases_the_email(cli, fresh):
    member = MemberFactory()
    result = add(cli, member.id, "Li.Wei@Tsinghua.Example", "--role", "admin")
    assert result.exit_code == 0, result.output
    user = fresh().scalars(select(User).where(User.email == "li.wei@tsinghua.example")).one()
    assert f"Added admin user li.wei@tsinghua.example ({user.id})" in result.stdout
    assert user.member_id == member.id and user.role == "admin" and user.disabled_at is None
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    assert check_password(PASSWORD, user.password_hash)
    assert PASSWORD not in result.output
    [event] = audit_events(fresh(), "users.add")
    assert event.target_id == user.id
    assert event.details == {"email": "li.wei@tsinghua.example", "role": "admin", "member_id": member.id}


def test_only_the_line_break_is_stripped_from_the_password(cli, fresh):
    member = MemberFactory()
    password = "  spaces count too  "
    data = cli.json("users", "add", "--member", member.id, "--email", "a@b.example", "--password-stdin",
                    input=password + "\r\nsecond line ignored\n")
    assert data["role"] == "staff" and "password_hash" not in data
    user = fresh().get(User, data["id"])
    assert check_password(password, user.password_hash)
    assert not check_password(password.strip(), user.password_hash)


@pytest.mark.parametrize(("password", "message"), [
    ("", "at least 12"),
    ("elevenchars", "at least 12"),
    ("x" * 1025, "at most 1024"),
])
def test_unacceptable_passwords_are_refused(cli, fresh, password, message):
    member = MemberFactory()
    result = add(cli, member.id, "weak@member.example", password=password + "\n")
    assert result.exit_code == 2 and message in result.stderr and "--password-stdin" in result.stderr
    assert count(fresh(), User, User.email == "weak@member.example") == 0


def test_twelve_and_1024_characters_are_accepted(cli):
    member = MemberFactory()
    assert add(cli, member.id, "a12@member.example", password="x" * 12).exit_code == 0
    assert add(cli, member.id, "a1024@member.example", password="y" * 1024).exit_code == 0


def test_the_password_must_come_from_stdin(cli):
    member = MemberFactory()
    result = cli("users", "add", "--member", member.id, "--email", "a@b.example", input=PASSWORD)
    assert result.exit_code == 2 and "--password-stdin" in result.stderr


def test_duplicate_email_is_refused_whatever_its_case(cli, fresh):
    existing = UserFactory(email="office@fraunhofer.example")
    result = add(cli, MemberFactory().id, "Office@Fraunhofer.EXAMPLE")
    assert result.exit_code == 1 and "office@fraunhofer.example already exists" in result.stderr
    assert count(fresh(), User, User.email == existing.email) == 1


def test_unknown_or_terminated_member_is_refused(cli, fresh):
    result = add(cli, "no-such-member", "x@y.example")
    assert result.exit_code == 1 and "No member with ID 'no-such-member'" in result.stderr
    terminated = MemberFactory(status="terminated")
    result = add(cli, terminated.id, "x@y.example")
    assert result.exit_code == 1 and "terminated" in result.stderr
    assert count(fresh(), User, User.email == "x@y.example") == 0


def test_a_pending_member_may_get_users_before_approval(cli):
    assert add(cli, MemberFactory(status="pending").id, "early@member.example").exit_code == 0


def test_bad_email_is_a_usage_error(cli):
    result = add(cli, MemberFactory().id, "not an email")
    assert result.exit_code == 2 and "'--email'" in result.stderr


def test_disable_stops_the_user_and_revokes_only_their_tokens(cli, fresh):
    user = UserFactory()
    colleague = UserFactory(member=user.member)
    client = ClientFactory(member=user.member)
    mine, _ = make_token(client, user=user)
    theirs, _ = make_token(client, user=colleague)
    machine, _ = make_token(client)

    data = cli.json("users", "disable", user.email.upper())
    assert data["revoked_tokens"] == 1 and data["disabled_at"] is not None
    s = fresh()
    assert s.get(User, user.id).disabled_at is not None
    assert s.get(User, colleague.id).disabled_at is None
    assert s.get(Token, mine.id).revoked_at is not None
    assert s.get(Token, theirs.id).revoked_at is None and s.get(Token, machine.id).revoked_at is None
    [event] = audit_events(s, "users.disable")
    assert event.details == {"email": user.email, "revoked_tokens": 1}


def test_disable_refuses_unknown_and_already_disabled_users(cli):
    assert "No user with the e-mail" in cli.fails(1, "users", "disable", "ghost@nowhere.example").stderr
    user = UserFactory()
    cli.ok("users", "disable", user.email)
    assert "already disabled" in cli.fails(1, "users", "disable", user.email).stderr


def test_list_filters_by_member_and_never_shows_hashes(cli):
    member = MemberFactory(name="Korea Technology Finance Corporation")
    mine = UserFactory(member=member, email="kibo@kibo.example")
    other = UserFactory(email="someone@else.example")
    text = cli.ok("users", "list", "--member", member.id).stdout
    assert "kibo@kibo.example" in text and "Korea Technology Finance Corporation" in text
    assert "someone@else.example" not in text and "$argon2" not in text
    data = cli.json("users", "list")
    emails = {u["email"] for u in data}
    assert {mine.email, other.email} <= emails
    assert all("password_hash" not in u for u in data)
    assert "No member with ID" in cli.fails(1, "users", "list", "--member", "nope").stderr


# --- accounts.services.authenticate (used by the sign-in page) --------------------------------


def test_authenticate_accepts_the_right_password_only(db_session):
    user = UserFactory(email="sign.in@member.example")
    assert accounts.authenticate(session=db_session, email="Sign.In@member.example", password=DEFAULT_PASSWORD) is user
    assert accounts.authenticate(session=db_session, email=user.email, password=DEFAULT_PASSWORD + "!") is None
    assert accounts.authenticate(session=db_session, email=user.email + "\x00", password=DEFAULT_PASSWORD) is None


def test_authenticate_burns_a_check_for_an_unknown_email(db_session, monkeypatch):
    burned = []
    monkeypatch.setattr(accounts, "burn_password_check", burned.append)
    assert accounts.authenticate(session=db_session, email="nobody@member.example", password="whatever pw") is None
    assert burned == ["whatever pw"]


def test_authenticate_refuses_disabled_users_and_inactive_members(db_session):
    disabled = UserFactory()
    accounts.disable_user(session=db_session, user=disabled)
    suspended = UserFactory(member=MemberFactory(status="suspended"))
    for user in (disabled, suspended):
        assert accounts.authenticate(session=db_session, email=user.email, password=DEFAULT_PASSWORD) is None
