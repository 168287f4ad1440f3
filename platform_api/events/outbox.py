"""Every change another member's system could act on writes an event in its own transaction.

A service calls `emit()` after it has made the change; the event is written when the
transaction commits, and only then (a transactional outbox): if the change commits the event
exists, if it rolls back there is none. At commit the transaction takes the next positions
from `event_log_state` (one row, updated under its row lock until the commit ends), so
positions follow commit order with no gaps; a reader, or the webhook dispatcher, that has seen
every position up to N will see nothing new below N later. Most writes that emit already
serialise on another row at that point (the catalogue version), so this adds a statement, not
a new bottleneck: on PostgreSQL one statement writes the positions, the events and their
recipients together. `scripts/bench run --scenarios create` against the code before measures
what it costs (README, Benchmarks).

Who receives an event is decided by the caller, by the API's visibility rule for the object:
`recipients` maps each member who may know of it to what that member may see of it, and
`public`, when every member may see the object (a published listing), is what everyone else
sees. Nothing else reads the log: a member sees exactly its recipient rows and public events.
"""

from __future__ import annotations

import json
import os
import time
import uuid

from flask import current_app, has_app_context
from sqlalchemy import event as sa_event
from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from ..config import environment_home_country
from ..db import utcnow
from .models import TYPES, Event, EventRecipient

_KEY = "platform.outbox"


def new_event_id() -> str:
    """A UUIDv7 (RFC 9562): its leading 48 bits are the Unix time in milliseconds, so event
    IDs sort in time order, and (created_at, id) orders events for a receiver."""
    millis = time.time_ns() // 1_000_000
    raw = bytearray(millis.to_bytes(6, "big") + os.urandom(10))
    raw[6] = 0x70 | (raw[6] & 0x0F)
    raw[8] = 0x80 | (raw[8] & 0x3F)
    return str(uuid.UUID(bytes=bytes(raw)))


def home_country() -> str:
    """The platform's home country, which representations of members need: the app's setting
    (a request, an admin command, the webhook worker), else the environment's (a service
    called on its own, as tests do)."""
    if has_app_context():
        return current_app.config["PLATFORM"].home_country
    return environment_home_country()


def emit(session: Session, type_: str, *, subject: tuple[str, str], recipients: dict[str, dict],
         public: dict | None = None) -> None:
    """Record that `type_` happened to `subject` (object type, ID), to be written at commit.

    `recipients` maps member IDs to the event's `data` as that member may see it; `public` is
    the `data` every other member may see, or None when nobody else may know of it.
    """
    if type_ not in TYPES:
        raise ValueError(f"unknown event type {type_!r}: add it to events.models.TYPES")
    if session.in_nested_transaction():
        # A savepoint rolled back would leave the event behind: emit outside of one.
        raise RuntimeError("emit() inside a nested transaction")
    session.info.setdefault(_KEY, []).append(
        {"id": new_event_id(), "type": type_, "object_type": subject[0], "object_id": subject[1],
         "created_at": utcnow(), "public": public is not None, "public_data": public, "recipients": dict(recipients)}
    )


def pending(session: Session) -> list[dict]:
    """The events this session's transaction will write when it commits (for tests and reports)."""
    return list(session.info.get(_KEY, ()))


# The portable way: take the positions, then insert the events and their recipients.
_TAKE = text("UPDATE event_log_state SET last_position = last_position + :n WHERE id = 1 RETURNING last_position")
_INSERT_EVENTS = insert(Event)
_INSERT_RECIPIENTS = insert(EventRecipient)

# PostgreSQL does all three in one statement (one round trip, which the write path feels):
# the recipients' foreign key is checked at the statement's end, when the events are there.
_WRITE_PG = text("""
WITH taken AS (
  UPDATE event_log_state SET last_position = last_position + :n WHERE id = 1 RETURNING last_position - :n AS base
), given AS (
  SELECT CAST(:events AS jsonb) AS doc
), written AS (
  INSERT INTO events (position, id, type, object_type, object_id, created_at, public, public_data)
  SELECT taken.base + e.ord, e.id, e.type, e.object_type, e.object_id, e.created_at, e.public_data IS NOT NULL,
         e.public_data
  FROM taken, given, jsonb_to_recordset(given.doc -> 'e')
       AS e(ord bigint, id text, type text, object_type text, object_id text, created_at timestamptz, public_data jsonb)
)
INSERT INTO event_recipients (member_id, position, type, data)
SELECT r.member_id, taken.base + r.ord, r.type, r.data
FROM taken, given, jsonb_to_recordset(given.doc -> 'r') AS r(ord bigint, member_id text, type text, data jsonb)
""")


PG_CHUNK = 2000


def _json(value) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@sa_event.listens_for(Session, "before_commit")
def _write(session: Session) -> None:
    events = session.info.pop(_KEY, None)
    if not events:
        return
    # Whatever is left to flush goes first: once the transaction holds the log's row lock, it
    # takes no other lock (a lock taken after it, another writer could hold while waiting for it).
    session.flush()
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        # In chunks, so that an import's thousands of events never make one huge parameter; the
        # transaction holds the log's row lock from the first, so the positions stay contiguous.
        for start in range(0, len(events), PG_CHUNK):
            chunk = events[start:start + PG_CHUNK]
            doc = {"e": [{"ord": i, "id": e["id"], "type": e["type"], "object_type": e["object_type"],
                          "object_id": e["object_id"], "created_at": e["created_at"].isoformat(),
                          "public_data": e["public_data"]} for i, e in enumerate(chunk, start=1)],
                   "r": [{"ord": i, "member_id": member_id, "type": e["type"], "data": data}
                         for i, e in enumerate(chunk, start=1) for member_id, data in e["recipients"].items()]}
            conn.execute(_WRITE_PG, {"n": len(chunk), "events": _json(doc)})
        return
    last = conn.execute(_TAKE, {"n": len(events)}).scalar_one()
    first = last - len(events) + 1
    rows, recipient_rows = [], []
    for position, ev in enumerate(events, start=first):
        rows.append({k: v for k, v in ev.items() if k != "recipients"} | {"position": position})
        recipient_rows.extend(
            {"member_id": member_id, "position": position, "type": ev["type"], "data": data}
            for member_id, data in ev["recipients"].items()
        )
    conn.execute(_INSERT_EVENTS, rows)
    if recipient_rows:
        conn.execute(_INSERT_RECIPIENTS, recipient_rows)


@sa_event.listens_for(Session, "after_soft_rollback")
def _discard(session: Session, previous_transaction) -> None:
    if not previous_transaction.nested:  # a savepoint's rollback keeps the outer transaction's events
        session.info.pop(_KEY, None)
