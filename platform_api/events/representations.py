"""How an event is shown: in the stream, at /v1/events/{id}, and as a webhook's body."""

from __future__ import annotations

from typing import TypedDict

from ..api.schemas import rfc3339


class Event(TypedDict):
    """openapi.yaml Event."""

    id: str
    type: str
    created_at: str
    data: dict


def event(row) -> Event:
    """`row`: (id, type, created_at, data) as the stream reads it for one member."""
    return {"id": row.id, "type": row.type, "created_at": rfc3339(row.created_at), "data": row.data}
