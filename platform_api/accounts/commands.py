"""platform-admin users: the people who sign in on behalf of a member."""

from __future__ import annotations

import sys

import click
from marshmallow import ValidationError

from ..api.schemas import Email
from ..audit.services import record
from ..cli import AdminContext, AdminError, AdminGroup, emit, json_option, pass_admin, table
from ..members.commands import get_member
from . import services
from .models import ROLES
from .representations import user_admin


@click.group(cls=AdminGroup)
def users() -> None:
    """People who sign in for a member."""


def _email(_ctx, _param, value: str) -> str:
    try:
        return services.normalize_email(Email().deserialize(value.strip()))
    except ValidationError as exc:
        raise click.BadParameter(" ".join(exc.messages)) from None


def _read_password() -> str:
    stream = sys.stdin
    if stream.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    line = stream.readline()
    # Only the line break is removed: spaces may be part of a password.
    if line.endswith("\n"):
        line = line[:-1]
    if line.endswith("\r"):
        line = line[:-1]
    return line


@users.command("add")
@click.option("--member", "member_id", required=True, metavar="ID", help="The member this person acts for.")
@click.option("--email", required=True, callback=_email, help="Sign-in e-mail (stored lower-cased).")
@click.option("--role", type=click.Choice(ROLES), default="staff", show_default=True, help="admin or staff.")
@click.option("--password-stdin", is_flag=True,
              help=f"Read the password from the first line of stdin ({services.PASSWORD_MIN} to "
                   f"{services.PASSWORD_MAX} characters); never give it as an argument.")
@json_option
@pass_admin
def add(admin: AdminContext, member_id: str, email: str, role: str, password_stdin: bool, as_json: bool) -> None:
    """Add a person; the password comes from stdin."""
    if not password_stdin:
        raise click.UsageError("Give the password on standard input with --password-stdin.")
    password = _read_password()
    with admin.transaction() as session:
        member = get_member(session, member_id)
        user = services.create_user(session=session, member=member, email=email, password=password, role=role)
        record(session=session, action="users.add", target_type="user", target_id=user.id,
               details={"email": user.email, "role": user.role, "member_id": member.id})
        view = user_admin(user)
    emit(as_json, view, f"Added {user.role} user {user.email} ({user.id}) for member {member.id} ({member.name}).")


@users.command("disable")
@click.argument("email")
@json_option
@pass_admin
def disable(admin: AdminContext, email: str, as_json: bool) -> None:
    """Stop a person signing in; revoke their tokens."""
    with admin.transaction() as session:
        user = services.get_by_email(session=session, email=email)
        if user is None:
            raise AdminError(f"No user with the e-mail {email!r}.")
        revoked = services.disable_user(session=session, user=user)["revoked_tokens"]
        record(session=session, action="users.disable", target_type="user", target_id=user.id,
               details={"email": user.email, "revoked_tokens": revoked})
        view = {**user_admin(user), "revoked_tokens": revoked}
    emit(as_json, view, f"Disabled user {user.email} ({user.id}); revoked tokens: {revoked}.")


@users.command("list")
@click.option("--member", "member_id", metavar="ID", help="Only the people of this member.")
@json_option
@pass_admin
def list_users(admin: AdminContext, member_id: str | None, as_json: bool) -> None:
    """List people, oldest first."""
    with admin.transaction(write=False) as session:
        if member_id:
            get_member(session, member_id)
        rows = services.get_all(session=session, member_id=member_id)
        views = [user_admin(u) for u in rows]
    text = table(
        ("id", "email", "role", "member", "status"),
        [(v["id"], v["email"], v["role"], v["member_name"], "disabled" if v["disabled_at"] else "enabled")
         for v in views],
    ) if views else "No users."
    emit(as_json, views, text)
