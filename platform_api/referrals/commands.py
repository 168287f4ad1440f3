"""platform-admin referrals: list every referral and verify the hash chains of their timelines."""

from __future__ import annotations

import click

from ..cli import AdminContext, AdminError, AdminGroup, emit, json_option, pass_admin, table
from . import services
from .models import STATUSES
from .representations import referral_admin


@click.group(cls=AdminGroup)
def referrals() -> None:
    """Dispute referrals (confidential: only their parties and the administrators see them)."""


@referrals.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only referrals in this status.")
@json_option
@pass_admin
def list_referrals(admin: AdminContext, status: str | None, as_json: bool) -> None:
    """List every referral, newest first (without case summaries)."""
    with admin.transaction(write=False) as session:
        rows = services.get_all(session=session, status=status)
        views = [referral_admin(r) for r in rows]
    text = (table(("reference", "id", "status", "procedure", "claimant", "institution", "created_at"),
                  [(v["reference"], v["id"], v["status"], v["procedure"], v["claimant"]["name"],
                    v["institution"]["name"], v["created_at"]) for v in views]) if views else "No referrals.")
    emit(as_json, views, text)


@referrals.command("verify")
@click.argument("referral_id", metavar="[ID]", required=False)
@json_option
@pass_admin
@click.pass_context
def verify(ctx: click.Context, admin: AdminContext, referral_id: str | None, as_json: bool) -> None:
    """Recompute the hash chains of every referral (or one); exit 1 if any is broken."""
    with admin.transaction(write=False) as session:
        referral = None
        if referral_id is not None:
            referral = services.get(session=session, referral_id=referral_id)
            if referral is None:
                raise AdminError(f"No referral with ID {referral_id!r}.")
        checked, events, breaks = services.verify(session=session, referral=referral)
    data = {
        "intact": not breaks,
        "referrals_checked": checked,
        "events_checked": events,
        "breaks": [b.as_dict() for b in breaks],
    }
    summary = f"Checked {checked} referral(s), {events} event(s): "
    if breaks:
        text = summary + f"{len(breaks)} break(s).\n" + "\n".join(str(b) for b in breaks)
    else:
        text = summary + "every chain is intact."
    emit(as_json, data, text)
    if breaks:
        ctx.exit(1)
