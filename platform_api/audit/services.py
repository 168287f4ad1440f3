"""Writing and reading the audit log."""

from __future__ import annotations

import getpass
import os

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import AuditEvent


def current_actor() -> str:
    """Who runs the admin command: PLATFORM_ADMIN_ACTOR, else the operating-system user."""
    actor = os.environ.get("PLATFORM_ADMIN_ACTOR")
    if actor:
        return actor[:200]
    try:
        return f"os:{getpass.getuser()}"
    except Exception:  # no passwd entry in some containers
        return f"os:uid-{os.getuid()}"


def record(
    *, session: Session, action: str, target_type: str, target_id: str | None, details: dict | None = None,
    actor: str | None = None,
) -> AuditEvent:
    """Add one audit event to the current transaction (it commits or rolls back with the action)."""
    event = AuditEvent(
        actor=actor or current_actor(),
        action=action,
        target_type=target_type,
        target_id=target_id,
        details=details or None,
    )
    session.add(event)
    return event


def get_all(*, session: Session, target_id: str | None = None, action: str | None = None, limit: int = 100):
    """Newest audit events first, optionally for one target or action."""
    stmt = select(AuditEvent).order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc()).limit(limit)
    if target_id:
        stmt = stmt.where(AuditEvent.target_id == target_id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    return list(session.scalars(stmt))
