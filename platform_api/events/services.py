"""Reading the event log: a member's own stream, one event, retention."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, delete, exists, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from ..db import JSONType, is_id
from ..exceptions import NotFound
from .models import Event, EventRecipient

#: The objects whose events may be public (every member may see published listings and active
#: profiles); the others' events only ever reach their recipients.
PUBLIC_OBJECTS = ("technology", "investor_profile")

#: Events are kept at least this long; `platform-admin events purge` removes older ones.
MIN_RETENTION_DAYS = 30


def _type_condition(column, pattern: str | None):
    if pattern is None or pattern == "*":
        return None
    if pattern.endswith(".*"):
        return column.like(pattern[:-1] + "%")
    return column == pattern


def stream(session: Session, *, member_id: str, after: int, limit: int, type_pattern: str | None = None,
           created_after: datetime | None = None) -> list:
    """Up to `limit` events the member may see with positions after `after`, oldest first.

    Rows are (position, id, type, created_at, data). Two reads, each along its own index: the
    member's recipient rows, and public events the member is not a recipient of (a listing's
    owner has its own view of its listing's events).
    """
    if created_after is not None:
        # The first position created after that instant (along the created_at index): nothing
        # before it can match, so neither read walks the log from its start.
        first = session.scalar(select(func.min(Event.position)).where(Event.created_at > created_after))
        if first is None:
            return []
        after = max(after, first - 1)
    own = (
        select(Event.position, Event.id, Event.type, Event.created_at, EventRecipient.data)
        .join(Event, Event.position == EventRecipient.position)
        .where(EventRecipient.member_id == member_id, EventRecipient.position > after)
    )
    mine = exists().where(EventRecipient.member_id == member_id, EventRecipient.position == Event.position)
    public = (
        select(Event.position, Event.id, Event.type, Event.created_at, Event.public_data.label("data"))
        .where(Event.public.is_(True), Event.position > after, ~mine)
    )
    branches = [(own, EventRecipient.type)]
    if type_pattern is None or type_pattern == "*" or type_pattern.split(".")[0] in PUBLIC_OBJECTS:
        branches.append((public, Event.type))  # other types are never public: no need to read those
    out = []
    for stmt, type_col in branches:
        cond = _type_condition(type_col, type_pattern)
        if cond is not None:
            stmt = stmt.where(cond)
        if created_after is not None:
            stmt = stmt.where(Event.created_at > created_after)
        out.extend(session.execute(stmt.order_by(Event.position).limit(limit)).all())
    out.sort(key=lambda row: row[0])
    return out[:limit]


def get_visible(session: Session, *, event_id: str, member_id: str):
    """One event as the member may see it, (position, id, type, created_at, data); 404 as for
    an unknown ID otherwise."""
    if not is_id(event_id):
        raise NotFound("event")
    data = type_coerce(func.coalesce(EventRecipient.data, Event.public_data), JSONType).label("data")
    row = session.execute(
        select(Event.position, Event.id, Event.type, Event.created_at, data)
        .outerjoin(EventRecipient, and_(EventRecipient.position == Event.position, EventRecipient.member_id == member_id))
        .where(Event.id == event_id, or_(EventRecipient.member_id.is_not(None), Event.public.is_(True)))
    ).first()
    if row is None:
        raise NotFound("event")
    return row


def position_of(session: Session, *, event_id: str, member_id: str) -> int | None:
    """The position of an event the member may see, or None: where `?after=<event ID>` resumes."""
    try:
        return get_visible(session, event_id=event_id, member_id=member_id).position
    except NotFound:
        return None


def purge(session: Session, *, before: datetime) -> int:
    """Delete the events created before `before` (their recipient rows go with them); how many."""
    positions = select(Event.position).where(Event.created_at < before)
    session.execute(delete(EventRecipient).where(EventRecipient.position.in_(positions)))
    return session.execute(delete(Event).where(Event.created_at < before)).rowcount


def read_after(session: Session, *, after: int, limit: int) -> list[tuple[Event, dict[str, dict]]]:
    """The log's events after position `after`, in order, each with its recipients' data by
    member ID: what the webhook dispatcher fans out."""
    events = list(session.scalars(select(Event).where(Event.position > after).order_by(Event.position).limit(limit)))
    if not events:
        return []
    by_position: dict[int, dict[str, dict]] = {e.position: {} for e in events}
    rows = session.execute(
        select(EventRecipient.position, EventRecipient.member_id, EventRecipient.data)
        .where(EventRecipient.position.between(events[0].position, events[-1].position))
    )
    for position, member_id, data in rows:
        by_position[position][member_id] = data
    return [(e, by_position[e.position]) for e in events]
