"""platform-admin members: add, import, review and change the status of member institutions."""

from __future__ import annotations

import json
import os
import sys

import click
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..api.schemas import Text
from ..audit.services import record
from ..cli import AdminContext, AdminError, AdminGroup, emit, json_option, pass_admin, table
from ..cli.imports import Columns, Problems, Valid, load
from . import services
from .models import KINDS, STATUSES, Member
from .representations import member_admin
from .schemas import MemberCreateSchema


@click.group(cls=AdminGroup)
def members() -> None:
    """Member institutions and their status."""


def get_member(session: Session, member_id: str) -> Member:
    """The member with this ID, or exit 1 saying there is none."""
    member = services.get(session=session, member_id=member_id)
    if member is None:
        raise AdminError(f"No member with ID {member_id!r}.")
    return member


def _reason(_ctx, _param, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return Text(max_length=1000).deserialize(value).strip()
    except ValidationError as exc:
        raise click.BadParameter(" ".join(exc.messages)) from None


def _plain(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _summary(member: Member) -> str:
    return f"{member.id} ({member.name}), status {member.status}"


@members.command("add")
@click.option("--name", required=True, help="The institution's name, as it presents itself.")
@click.option("--kind", required=True, help=f"One of: {', '.join(KINDS)}.")
@click.option("--country", required=True, help="ISO 3166-1 alpha-2 code, upper case (CN, DE, US...).")
@click.option("--email", default=None, help="The institution's contact e-mail.")
@click.option("--website", default=None, help="Absolute http(s) URL.")
@json_option
@pass_admin
def add(admin: AdminContext, name, kind, country, email, website, as_json: bool) -> None:
    """Add a member institution (status pending)."""
    given = {"name": name, "kind": kind, "country": country, "email": email, "website": website}
    data = MemberCreateSchema().load({k: v for k, v in given.items() if v is not None})
    with admin.transaction() as session:
        member = services.create(session=session, **data)
        record(session=session, action="members.add", target_type="member", target_id=member.id,
               details={"name": member.name, "kind": member.kind, "country": member.country})
        view = member_admin(member, admin.settings.home_country)
    emit(as_json, view, f"Added member {member.id} ({member.name}), status pending")


def _change_status(admin: AdminContext, member_id: str, action: str, reason: str | None, as_json: bool) -> None:
    with admin.transaction() as session:
        member = get_member(session, member_id)
        before = member.status
        effects = services.transition(session=session, member=member, action=action, reason=reason)
        record(session=session, action=f"members.{action}", target_type="member", target_id=member.id,
               details={"from": before, "to": member.status, "reason": reason, **effects})
        view = {**member_admin(member, admin.settings.home_country), **effects}
    past = {"approve": "Approved", "suspend": "Suspended", "reinstate": "Reinstated", "terminate": "Terminated"}
    text = f"{past[action]} member {_summary(member)}"
    if effects:
        text += "; " + ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in effects.items())
    emit(as_json, view, text)


@members.command("approve")
@click.argument("member_id", metavar="ID")
@json_option
@pass_admin
def approve(admin: AdminContext, member_id: str, as_json: bool) -> None:
    """Approve a pending member: it becomes active."""
    _change_status(admin, member_id, "approve", None, as_json)


@members.command("suspend")
@click.argument("member_id", metavar="ID")
@click.option("--reason", required=True, callback=_reason, help="Why (kept with the member and in the audit log).")
@json_option
@pass_admin
def suspend(admin: AdminContext, member_id: str, reason: str, as_json: bool) -> None:
    """Suspend an active member; revoke its tokens."""
    _change_status(admin, member_id, "suspend", reason, as_json)


@members.command("reinstate")
@click.argument("member_id", metavar="ID")
@json_option
@pass_admin
def reinstate(admin: AdminContext, member_id: str, as_json: bool) -> None:
    """Make a suspended member active again."""
    _change_status(admin, member_id, "reinstate", None, as_json)


@members.command("terminate")
@click.argument("member_id", metavar="ID")
@click.option("--reason", required=True, callback=_reason, help="Why (kept with the member and in the audit log).")
@json_option
@pass_admin
def terminate(admin: AdminContext, member_id: str, reason: str, as_json: bool) -> None:
    """End a membership for good (revokes all access)."""
    _change_status(admin, member_id, "terminate", reason, as_json)


@members.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only members in this status.")
@click.option("--kind", type=click.Choice(KINDS), help="Only members of this kind.")
@json_option
@pass_admin
def list_members(admin: AdminContext, status: str | None, kind: str | None, as_json: bool) -> None:
    """List members, newest first."""
    with admin.transaction(write=False) as session:
        rows = services.get_all(session=session, status=status, kind=kind)
        views = [member_admin(m, admin.settings.home_country) for m in rows]
    text = (table(("id", "name", "kind", "country", "status"),
                  [(m.id, m.name, m.kind, m.country, m.status) for m in rows]) if rows else "No members.")
    emit(as_json, views, text)


@members.command("show")
@click.argument("member_id", metavar="ID")
@json_option
@pass_admin
def show(admin: AdminContext, member_id: str, as_json: bool) -> None:
    """Show everything about one member."""
    with admin.transaction(write=False) as session:
        view = member_admin(get_member(session, member_id), admin.settings.home_country)
    width = max(len(k) for k in view)
    emit(as_json, view, "\n".join(f"{k.ljust(width)}  {_plain(v)}" for k, v in view.items()))


# --- CSV import -----------------------------------------------------------------------------


COLUMNS = Columns(required=("name", "kind", "country"), optional=("email", "website"))


def find_duplicates(session: Session, rows: list[Valid], problems: Problems) -> None:
    """Rows naming the same institution (name and country, any case) as another row or a member."""
    seen: dict[tuple[str, str], int] = {}
    countries = {r.value["country"] for r in rows}
    existing = {
        (name.strip().casefold(), country): member_id
        for member_id, name, country in session.execute(
            select(Member.id, Member.name, Member.country).where(Member.country.in_(countries))
        )
    }
    for row in rows:
        key = (row.value["name"].strip().casefold(), row.value["country"])
        if key in seen:
            problems.add(row.line, f"same name and country as line {seen[key]}", pointer="/name")
        elif key in existing:
            problems.add(row.line, f"a member with this name in {key[1]} exists already (ID {existing[key]})",
                         pointer="/name")
        seen.setdefault(key, row.line)


@members.command("import", epilog="The CSV file is UTF-8 with a header on line 1: "
                 "name,kind,country,email,website (email and website optional). "
                 "Nothing is written unless every row is valid.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--dry-run", is_flag=True, help="Only validate the file; write nothing.")
@json_option
@pass_admin
def import_members(admin: AdminContext, file: str, dry_run: bool, as_json: bool) -> None:
    """Add members from a CSV file: all rows or none."""
    # An empty cell is an absent value: optional columns stay empty, required ones are missing.
    rows, problems = load(file, MemberCreateSchema(), columns=COLUMNS, format="csv", items="members",
                          pointers=False)
    ids: list[str] = []
    with admin.transaction(write=not dry_run) as session:
        find_duplicates(session, rows, problems)
        problems.fail_if_any(file)
        if not dry_run:
            with click.progressbar(rows, label="Importing members", file=sys.stderr) as bar:
                for row in bar:
                    ids.append(services.create(session=session, **row.value).id)
            record(session=session, action="members.import", target_type="member", target_id=None,
                   details={"count": len(ids), "file": os.path.basename(file)})
    if dry_run:
        emit(as_json, {"valid": len(rows), "created": 0, "ids": [], "dry_run": True},
             f"{len(rows)} rows valid, nothing written (dry run).")
    else:
        emit(as_json, {"created": len(ids), "ids": ids}, f"Imported {len(ids)} members (status pending) from {file}.")
