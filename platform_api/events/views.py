"""/v1/events: the caller's own event stream, oldest first, and one event."""

from __future__ import annotations

from flask import Blueprint, jsonify

from ..api import pagination
from ..api.auth import current_principal
from ..api.body import query
from ..api.endpoint import endpoint
from ..db import session
from ..errors import InvalidParameter
from . import representations, services
from .schemas import EventListQuery

bp = Blueprint("events", __name__, url_prefix="/v1")


@bp.get("/events")
@endpoint("events:read")
def list_events():
    params = query(EventListQuery)
    p = current_principal()
    if params["after"] is not None and params["cursor"]:
        raise InvalidParameter("after", "Give either after or cursor, not both.")
    after = pagination.position_after(params=params, caller=p.client.id)
    if params["after"] is not None:
        after = services.position_of(session(), event_id=params["after"], member_id=p.member_id)
        if after is None:
            raise InvalidParameter("after", "No event with this ID is in your stream (it may have been purged).")
    rows = services.stream(
        session(), member_id=p.member_id, after=after, limit=params["limit"] + 1,
        type_pattern=params["type"], created_after=params["created_after"],
    )
    cursor = None
    if len(rows) > params["limit"]:
        rows = rows[: params["limit"]]
        cursor = pagination.position_cursor(rows[-1].position, params=params, caller=p.client.id)
    return pagination.page_response([representations.event(r) for r in rows], cursor)


@bp.get("/events/<event_id>")
@endpoint("events:read")
def get_event(event_id: str):
    row = services.get_visible(session(), event_id=event_id, member_id=current_principal().member_id)
    return jsonify(representations.event(row))
