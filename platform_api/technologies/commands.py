"""platform-admin technologies: review submissions, inspect listings, import a catalogue."""

from __future__ import annotations

import json
import os
import sys
import unicodedata
from collections import Counter
from types import SimpleNamespace

import click
from marshmallow import ValidationError
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ..api.schemas import Text, rfc3339
from ..audit.services import record
from ..cli import AdminContext, AdminError, AdminGroup, emit, json_option, note, pass_admin, table
from ..cli.imports import Problems
from ..db import is_id, new_id, utcnow
from ..db.bulk import bulk_insert
from ..members.models import Member
from . import search, services
from .models import FIELDS, STATUSES, Technology, TechnologyOffice
from .catalogue import Row, read_rows
from .representations import technology_admin

BATCH = 1000  # rows per INSERT round trip when importing
MAX_IDS = 1000  # --json lists the created IDs up to this many rows


@click.group(cls=AdminGroup)
def technologies() -> None:
    """Technology listings: the review queue, decisions, catalogue imports."""


def get_technology(session: Session, technology_id: str) -> Technology:
    """The listing with this ID, or exit 1 saying there is none."""
    tech = services.get(session=session, technology_id=technology_id)
    if tech is None:
        raise AdminError(f"No technology listing with ID {technology_id!r}.")
    return tech


def display_title(title: dict | None) -> str:
    """English, else Chinese, else whichever language the owner wrote."""
    title = title or {}
    return title.get("en") or title.get("zh") or next(iter(title.values()), "")


def _short(text: str, width: int) -> str:
    """At most `width` columns (wide CJK characters count two), cut with an ellipsis."""
    out, used = "", 0
    for i, ch in enumerate(text):
        used += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
        if used > width - (1 if i < len(text) - 1 else 0):
            return out + "…"
        out += ch
    return out


def _minute(value) -> str:
    return rfc3339(value)[:16].replace("T", " ") if value else ""


def _text_option(max_length: int):
    def check(_ctx, _param, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return Text(max_length=max_length, multiline=True).deserialize(value).strip()
        except ValidationError as exc:
            raise click.BadParameter(" ".join(exc.messages)) from None

    return check


# --- review ---------------------------------------------------------------------------------


@technologies.command("review-queue", epilog="The overseas column flags owners outside the platform's home "
                      "country (PLATFORM_HOME_COUNTRY, default CN).")
@json_option
@pass_admin
def review_queue(admin: AdminContext, as_json: bool) -> None:
    """Listings awaiting review, oldest first."""
    home = admin.settings.home_country
    with admin.transaction(write=False) as session:
        queue = services.review_queue(session=session)
        views = [technology_admin(t, home) for t in queue]
    rows = [(t.id, _short(t.owner.name, 30), t.owner.country, "yes" if t.owner.country != home else "",
             t.field, t.trl, _minute(t.submitted_at), _short(display_title(t.title), 44)) for t in queue]
    text = (table(("id", "owner", "country", "overseas", "field", "trl", "submitted (UTC)", "title"), rows)
            if rows else "No listings awaiting review.")
    emit(as_json, views, text)


ALREADY = {
    "published": "is already published (it was reviewed before)",
    "rejected": "is already rejected (it was reviewed before)",
    "withdrawn": "was already reviewed: published, since withdrawn by its owner",
    "transacted": "was already reviewed: published, since transacted",
}


def _review(admin: AdminContext, technology_id: str, action: str, note_text: str | None, as_json: bool) -> None:
    try:
        with admin.transaction() as session:
            tech = get_technology(session, technology_id)
            if tech.status in ALREADY:
                raise AdminError(f"Listing {tech.id} {ALREADY[tech.status]}; nothing was changed.")
            if tech.status == "draft":
                raise AdminError(f"Listing {tech.id} is a draft: its owner has not submitted it for review.")
            if action == "approve" and tech.owner.status != "active":
                raise AdminError(f"The owner of listing {tech.id}, {tech.owner.name} ({tech.owner.id}), is "
                                 f"{tech.owner.status}; only an active member's listing can be published.")
            before = tech.status
            # The listing carries a version: if another reviewer committed a decision since we read
            # it, this flush updates no row and raises StaleDataError.
            services.transition(session=session, tech=tech, action=action, note=note_text)
            record(session=session, action=f"technologies.{action}", target_type="technology", target_id=tech.id,
                   details={"from": before, "to": tech.status, "owner_id": tech.owner_id,
                            ("note" if action == "approve" else "reason"): note_text})
            view = technology_admin(tech, admin.settings.home_country)
    except StaleDataError:
        raise AdminError(f"Listing {technology_id} was already reviewed by someone else in the meantime; "
                         "nothing was written.") from None
    title = display_title(tech.title)
    text = (f"Approved listing {tech.id} ({title}): published." if action == "approve"
            else f"Rejected listing {tech.id} ({title}); its owner sees the reason and may revise it.")
    emit(as_json, view, text)


@technologies.command("approve")
@click.argument("technology_id", metavar="ID")
@click.option("--note", "note_text", callback=_text_option(2000), help="A note for the owner (optional).")
@json_option
@pass_admin
def approve(admin: AdminContext, technology_id: str, note_text: str | None, as_json: bool) -> None:
    """Publish a submitted listing."""
    _review(admin, technology_id, "approve", note_text, as_json)


@technologies.command("reject")
@click.argument("technology_id", metavar="ID")
@click.option("--reason", required=True, callback=_text_option(2000),
              help="Why (shown to the owner as the review note, and kept in the audit log).")
@json_option
@pass_admin
def reject(admin: AdminContext, technology_id: str, reason: str, as_json: bool) -> None:
    """Reject a submitted listing, with a reason."""
    _review(admin, technology_id, "reject", reason, as_json)


# --- inspect --------------------------------------------------------------------------------


def _plain(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


@technologies.command("show")
@click.argument("technology_id", metavar="ID")
@json_option
@pass_admin
def show(admin: AdminContext, technology_id: str, as_json: bool) -> None:
    """Show everything about one listing."""
    with admin.transaction(write=False) as session:
        view = technology_admin(get_technology(session, technology_id), admin.settings.home_country)
    width = max(len(k) for k in view)
    emit(as_json, view, "\n".join(f"{k.ljust(width)}  {_plain(v)}" for k, v in view.items()))


@technologies.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only listings in this status.")
@click.option("--owner", "owner_id", metavar="ID", help="Only this member's listings.")
@click.option("--field", type=click.Choice(FIELDS), help="Only listings in this field.")
@click.option("--search", "q", metavar="TEXT", help="Full-text search (any language); best match first.")
@click.option("--limit", type=click.IntRange(1, 10000), default=100, show_default=True, help="At most this many.")
@json_option
@pass_admin
def list_technologies(admin: AdminContext, status, owner_id, field, q, limit: int, as_json: bool) -> None:
    """List listings in any status, newest first."""
    home = admin.settings.home_country
    with admin.transaction(write=False) as session:
        if owner_id is not None and (not is_id(owner_id) or session.get(Member, owner_id) is None):
            raise AdminError(f"No member with ID {owner_id!r}.")
        stmt = select(Technology)
        for column, value in ((Technology.status, status), (Technology.owner_id, owner_id), (Technology.field, field)):
            if value is not None:
                stmt = stmt.where(column == value)
        order = [Technology.created_at.desc(), Technology.id.desc()]
        if q is not None:
            match = search.matches(session, q)
            if match is None:
                raise click.BadParameter("give at least one word to search for.", param_hint="'--search'")
            stmt = stmt.join(match, match.c.technology_id == Technology.id)
            order.insert(0, match.c.score.desc())
        total = session.scalar(select(func.count()).select_from(stmt.subquery()))
        found = list(session.scalars(stmt.order_by(*order).limit(limit)))
        views = [technology_admin(t, home) for t in found]
    if total > len(found):
        note(f"Showing {len(found)} of {total} listings; use --limit to see more.")
    rows = [(t.id, t.status, _short(t.owner.name, 24), t.field, t.trl, _minute(t.created_at),
             _short(display_title(t.title), 44)) for t in found]
    text = (table(("id", "status", "owner", "field", "trl", "created (UTC)", "title"), rows)
            if rows else "No listings.")
    emit(as_json, views, text)


# --- import ---------------------------------------------------------------------------------

IMPORT_HELP = """\b
FILE is UTF-8, and its extension says the format:
  .jsonl / .ndjson  one listing per line: the API's create body (POST /v1/technologies),
                    plus "owner_id" unless --owner is given.
  .csv              a header on line 1, then one listing per record. Columns:
    owner_id                        unless --owner is given
    title_<lang>, summary_<lang>    one column per language: title_en, title_zh, summary_fr...
    field, trl, origin_country
    keywords, ipc, deal_types, countries_available    lists separated by ';'
    price_amount, price_currency    both empty: price negotiable
    ip_rights   rights separated by ';', each kind|office|number|status|filed_on|expires_on
                (dates optional), e.g. invention_patent|CN|ZL201910123456.7|granted|2019-03-01|2039-03-01;
                or a JSON array as in the API.
  An empty cell is an absent value.

\b
All rows or none: every row is checked with the API's rules before anything is written.
Problems are listed as "line N: /pointer: message" (physical line; the CSV header is line 1;
pointers name the API's fields: /title/en is the CSV column title_en, /asking_price/amount is
price_amount) and nothing is written. Rows become drafts of their owners, or published
listings with --publish. --json prints {"created", "published", "by_field", "ids"}; "ids" is
left out when more than 1000 listings are created (find them with: technologies list --owner ID).
"""


def check_owners(session: Session, rows: list[Row], owner: Member | None, problems: Problems) -> None:
    """Every row's owner must be an existing, active member (and agree with --owner if given)."""
    wanted = sorted({r.owner_id for r in rows if r.owner_id and is_id(r.owner_id)})
    members = {}
    for i in range(0, len(wanted), 500):
        members.update({m.id: m for m in session.scalars(select(Member).where(Member.id.in_(wanted[i:i + 500])))})
    for row in rows:
        problem = None
        if owner is not None:
            if row.owner_id not in (None, owner.id):
                problem = f"differs from --owner {owner.id}"
            row.owner_id = owner.id
        elif row.owner_id is None:
            problem = "Missing: give each row an owner_id, or use --owner."
        elif row.owner_id not in members:
            problem = "No member with this ID."
        elif members[row.owner_id].status != "active":
            m = members[row.owner_id]
            problem = f"{m.name} is {m.status}; only active members may own listings."
        if problem:
            problems.add(row.line, problem, pointer="/owner_id")


def stored(data: dict, *, owner_id: str, publish: bool, now) -> dict:
    """A validated create body as a row of `technologies` (services.column_values gives the shapes)."""
    return {
        "id": new_id(), "owner_id": owner_id, "status": "published" if publish else "draft",
        "keywords": [], "ipc": [], "ip_rights": [], "countries_available": [], "price_amount": None,
        "price_currency": None, **services.column_values(data),
        "review_note": None, "created_by_client_id": None, "created_at": now, "updated_at": now,
        "submitted_at": None, "published_at": now if publish else None, "version": 1,
    }


def insert_rows(session: Session, rows: list[Row], *, publish: bool) -> list[str]:
    """Insert the listings in batches, with their office rows and search entries; their IDs in order."""
    now, ids, owners = utcnow(), [], {}
    with click.progressbar(length=len(rows), label="Importing listings", file=sys.stderr) as bar:
        for start in range(0, len(rows), BATCH):
            values = [stored(r.data, owner_id=r.owner_id, publish=publish, now=now) for r in rows[start:start + BATCH]]
            # One statement a batch (COPY on PostgreSQL): the catalogue trigger then runs once a
            # batch (migration b3e5f7a9c1d2), not once a listing.
            bulk_insert(session, Technology.__table__, values)
            offices = [{"technology_id": v["id"], "office": office}
                       for v in values for office in sorted({r["office"] for r in v["ip_rights"]})]
            if offices:
                session.execute(insert(TechnologyOffice.__table__), offices)
            search.index_many(session, [SimpleNamespace(**v) for v in values])
            for v in values:
                if v["owner_id"] not in owners:
                    owners[v["owner_id"]] = session.get(Member, v["owner_id"])
            services.tell_imported(session, [SimpleNamespace(**v, owner=owners[v["owner_id"]]) for v in values])
            ids += [v["id"] for v in values]
            bar.update(len(values))
    return ids


@technologies.command("import", epilog=IMPORT_HELP)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--owner", "owner_id", metavar="ID",
              help="The (active) member that owns every row; without it, each row's owner_id.")
@click.option("--publish", is_flag=True,
              help="Import as published listings (you vouch for the catalogue); default: drafts.")
@click.option("--dry-run", is_flag=True, help="Only check the file and the owners; write nothing.")
@json_option
@pass_admin
def import_technologies(admin: AdminContext, file: str, owner_id: str | None, publish: bool, dry_run: bool,
                        as_json: bool) -> None:
    """Import a catalogue from CSV or JSON Lines."""
    if owner_id is not None:  # fail before reading what may be a big file
        with admin.transaction(write=False) as session:
            _active_owner(session, owner_id)
    rows, problems = read_rows(file, owner_given=owner_id is not None)
    ids: list[str] = []
    with admin.transaction(write=not dry_run) as session:
        owner = _active_owner(session, owner_id) if owner_id is not None else None
        check_owners(session, rows, owner, problems)
        problems.fail_if_any(file)
        rows = [r for r in rows if r.data is not None]
        if not dry_run:
            ids = insert_rows(session, rows, publish=publish)
            record(session=session, action="technologies.import", target_type="technology", target_id=None,
                   details={"count": len(ids), "file": os.path.basename(file), "published": publish})
    by_field = dict(Counter(r.data["field"] for r in rows).most_common())
    counts = table(("field", "listings"), list(by_field.items()))
    if dry_run:
        emit(as_json, {"valid": len(rows), "created": 0, "published": publish, "by_field": by_field, "ids": [],
                       "dry_run": True}, f"{len(rows)} rows valid, nothing written (dry run).\n\n{counts}")
        return
    data = {"created": len(ids), "published": publish, "by_field": by_field}
    if len(ids) <= MAX_IDS:
        data["ids"] = ids
    elif as_json:
        note(f"IDs are not listed for more than {MAX_IDS} listings; see: platform-admin technologies list --help")
    state = "published" if publish else "drafts (their owners submit them for review)"
    emit(as_json, data, f"Imported {len(ids)} listings from {file} as {state}.\n\n{counts}")


def _active_owner(session: Session, owner_id: str) -> Member:
    member = session.get(Member, owner_id) if is_id(owner_id) else None
    if member is None:
        raise AdminError(f"No member with ID {owner_id!r} (--owner).")
    if member.status != "active":
        raise AdminError(f"--owner {member.id} ({member.name}) is {member.status}; "
                         "only active members may own listings.")
    return member
