"""platform-admin audit: read the log of administrative actions."""

from __future__ import annotations

import json

import click

from ..api.schemas import rfc3339
from ..cli import AdminContext, AdminGroup, emit, json_option, pass_admin, table
from . import services
from .models import AuditEvent


@click.group(cls=AdminGroup)
def audit() -> None:
    """The log of administrative actions."""


def event_view(event: AuditEvent) -> dict:
    """One audit event as printed."""
    return {
        "id": event.id,
        "occurred_at": rfc3339(event.occurred_at),
        "actor": event.actor,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "details": event.details,
    }


def _short(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@audit.command("list")
@click.option("--target", "target_id", metavar="ID", help="Only events about this member, user or client ID.")
@click.option("--action", help="Only this action, such as members.suspend or clients.add.")
@click.option("--limit", type=click.IntRange(1, 10000), default=50, show_default=True, help="At most this many.")
@json_option
@pass_admin
def list_events(admin: AdminContext, target_id: str | None, action: str | None, limit: int, as_json: bool) -> None:
    """List audit events, newest first."""
    with admin.transaction(write=False) as session:
        views = [event_view(e) for e in services.get_all(session=session, target_id=target_id, action=action,
                                                          limit=limit)]
    text = table(
        ("occurred_at", "actor", "action", "target", "details"),
        [(v["occurred_at"], v["actor"], v["action"], f"{v['target_type']}:{v['target_id'] or '-'}",
          _short(json.dumps(v["details"], ensure_ascii=False)) if v["details"] else "") for v in views],
    ) if views else "No audit events."
    emit(as_json, views, text)
