"""platform-admin events: the event log's retention."""

from __future__ import annotations

from datetime import timedelta

import click

from ..audit.services import record
from ..cli import AdminContext, AdminGroup, emit, json_option, pass_admin
from ..db import utcnow
from . import services


@click.group(cls=AdminGroup)
def events() -> None:
    """The event log that /v1/events and webhooks serve."""


@events.command("purge")
@click.option("--older-than", "days", type=click.IntRange(min=services.MIN_RETENTION_DAYS), default=90,
              show_default=True, metavar="DAYS",
              help=f"Delete events created more than DAYS days ago (at least {services.MIN_RETENTION_DAYS}: "
                   "members may catch up for that long).")
@json_option
@pass_admin
def purge(admin: AdminContext, days: int, as_json: bool) -> None:
    """Delete old events (and what each member could see of them)."""
    before = utcnow() - timedelta(days=days)
    with admin.transaction() as session:
        deleted = services.purge(session, before=before)
        record(session=session, action="events.purge", target_type="event", target_id=None,
               details={"older_than_days": days, "deleted": deleted})
    emit(as_json, {"deleted": deleted, "older_than_days": days},
         f"Deleted {deleted} event(s) created more than {days} days ago.")
