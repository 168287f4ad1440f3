"""Editing a timeline behind the API's back, inside the test's transaction (rolled back after)."""

from __future__ import annotations

import contextlib

from sqlalchemy import text


@contextlib.contextmanager
def append_only_lifted(session):
    """Switch the append-only triggers off for the block; they come back at its end.

    PostgreSQL: ALTER TABLE ... DISABLE TRIGGER (transactional). SQLite cannot disable a
    trigger: drop it and create it again from its stored SQL.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ALTER TABLE referral_events DISABLE TRIGGER referral_events_append_only"))
        try:
            yield
        finally:
            session.execute(text("ALTER TABLE referral_events ENABLE TRIGGER referral_events_append_only"))
        return
    triggers = session.execute(
        text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'referral_events'")
    ).all()
    assert len(triggers) == 2
    for name, _sql in triggers:
        session.execute(text(f"DROP TRIGGER {name}"))
    try:
        yield
    finally:
        for _name, sql in triggers:
            session.execute(text(sql))


def tamper(session, sql: str, **params) -> None:
    """Run one UPDATE or DELETE on referral_events with the triggers lifted."""
    session.flush()
    with append_only_lifted(session):
        session.execute(text(sql), params)
    session.expire_all()
