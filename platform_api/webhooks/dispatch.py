"""The dispatcher: fans the event log out into deliveries, one step at a time.

A step takes the one-row cursor `webhook_dispatch_state` with a row lock (on PostgreSQL
`FOR UPDATE SKIP LOCKED`: while one worker dispatches, the others go on sending; on SQLite the
writing transaction's BEGIN IMMEDIATE serialises them), reads the events after it
(`events.services.read_after`; positions are gap-free in commit order, so none is skipped),
creates a delivery for each enabled endpoint that may see each event and asked for its type,
and moves the cursor, all in one transaction: a crash leaves no event half fanned out.

An endpoint receives an event when its member is a recipient (with that member's view of the
object), or when the event is public (with its public data) and the member is not one; and only
events after the endpoint was made (its `created_position`). A suspended member's endpoints get
only the events of its standing (`member.*`: that it was suspended, and reinstated); a
terminated or pending member's, nothing. The standing is the one at fan-out time, which a
running worker reaches within its poll interval of the commit.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ..db import new_id
from ..events import representations as event_representations
from ..events.schemas import type_matches
from ..events.services import read_after
from ..members.models import Member
from .models import WebhookDelivery, WebhookDispatchState, WebhookEndpoint

BATCH = 500


def body_of(event, data: dict) -> str:
    """The request body: the event as GET /v1/events/{id} shows it to the endpoint's member."""
    row = SimpleNamespace(id=event.id, type=event.type, created_at=event.created_at, data=data)
    return json.dumps(event_representations.event(row), ensure_ascii=False, separators=(",", ":"))


def _member_may_hear(status: str | None, event_type: str) -> bool:
    return status == "active" or (status == "suspended" and event_type.startswith("member."))


def targets(event, recipients: dict[str, dict], endpoints: list[WebhookEndpoint], statuses: dict[str, str]):
    """(endpoint, data) for every endpoint that gets this event (`statuses`: member ID -> status)."""
    for endpoint in endpoints:
        if event.position <= endpoint.created_position:
            continue
        if not _member_may_hear(statuses.get(endpoint.member_id), event.type):
            continue
        if endpoint.member_id in recipients:
            data = recipients[endpoint.member_id]
        elif event.public:
            data = event.public_data
        else:
            continue
        if any(type_matches(pattern, event.type) for pattern in endpoint.event_types):
            yield endpoint, data


def dispatch(session: Session, *, now, limit: int = BATCH) -> int:
    """One step (the caller commits): how many events it fanned out; 0 when there was nothing
    new, or another dispatcher holds the cursor."""
    stmt = select(WebhookDispatchState).where(WebhookDispatchState.id == 1)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    state = session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()
    if state is None:
        return 0
    rows = read_after(session, after=state.last_position, limit=limit)
    if not rows:
        return 0
    found = session.execute(
        select(WebhookEndpoint, Member.status).join(Member, Member.id == WebhookEndpoint.member_id)
        .where(WebhookEndpoint.enabled.is_(True), WebhookEndpoint.created_position < rows[-1][0].position)
    ).all()
    endpoints, statuses = [e for e, _s in found], {e.member_id: status for e, status in found}
    deliveries = []
    for event, recipients in rows:
        for endpoint, data in targets(event, recipients, endpoints, statuses):
            deliveries.append({
                "id": new_id(), "endpoint_id": endpoint.id, "event_position": event.position, "event_id": event.id,
                "event_type": event.type, "object_type": event.object_type, "object_id": event.object_id,
                "body": body_of(event, data), "status": "pending", "attempt_count": 0, "next_attempt_at": now,
                "window_started_at": now, "created_at": now,
            })
    if deliveries:
        session.execute(insert(WebhookDelivery), deliveries)
    state.last_position = rows[-1][0].position
    session.flush()
    return len(rows)
