"""platform-admin webhooks: run the delivery worker."""

from __future__ import annotations

import click

from ..cli import AdminContext, AdminGroup, emit, json_option, note, pass_admin


@click.group(cls=AdminGroup)
def webhooks() -> None:
    """Webhook delivery (endpoints are the members' own: /v1/webhook-endpoints)."""


@webhooks.command("worker")
@click.option("--batch", default=100, show_default=True, type=click.IntRange(1, 500), help="Deliveries claimed at once.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64), help="Concurrent sends.")
@click.option("--poll", default=0.1, show_default=True, type=click.FloatRange(0.01, 60), help="Seconds between polls when idle.")
@click.option("--lease", default=60, show_default=True, type=click.IntRange(15, 3600),
              help="Seconds a claimed delivery is this worker's; after a crash it is sent again once they pass.")
@json_option
@pass_admin
def worker(admin: AdminContext, batch: int, threads: int, poll: float, lease: int, as_json: bool) -> None:
    """Deliver webhooks until SIGTERM (then finish the batch in hand). Any number may run on
    PostgreSQL; run one on SQLite. With --json, what it sent is printed as JSON when it stops."""
    from datetime import timedelta

    from .worker import Worker

    w = Worker(admin.app, batch=batch, threads=threads, poll=poll, lease=timedelta(seconds=lease))
    note(f"webhooks worker: batch {batch}, {threads} threads, polling every {poll} s")
    w.run()
    emit(as_json, {"stopped": True, "sent": w.sent}, f"webhooks worker: stopped after {w.sent} attempt(s)")


@webhooks.command("purge")
@click.option("--older-than", "days", default=30, show_default=True, type=click.IntRange(7, 3650),
              help="Days since a delivery ended (succeeded or failed).")
@json_option
@pass_admin
def purge(admin: AdminContext, days: int, as_json: bool) -> None:
    """Delete ended deliveries and their attempts older than --older-than days (pending ones stay)."""
    from datetime import timedelta

    from ..db import utcnow
    from . import services

    with admin.transaction() as session:
        removed = services.purge(session=session, before=utcnow() - timedelta(days=days))
    emit(as_json, {"deleted": removed}, f"Deleted {removed} delivery(ies) that ended over {days} days ago.")
