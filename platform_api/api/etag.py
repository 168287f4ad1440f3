"""Strong ETags from row versions; If-Match required on every change."""

from __future__ import annotations

from flask import request

from ..errors import PreconditionFailed, PreconditionRequired


def etag_of(obj) -> str:
    return f'"{obj.id}.{obj.version}"'


def require_if_match(obj) -> None:
    """Refuse a change unless If-Match names the current version (428 missing, 412 stale)."""
    header = request.headers.get("If-Match")
    if header is None:
        raise PreconditionRequired(
            "Send If-Match with the ETag from your last read of this resource; changes without it are refused."
        )
    current = etag_of(obj)
    tags = [t.strip() for t in header.split(",") if t.strip()]
    # Strong comparison only: weak tags (W/"...") never match.
    if "*" in tags or current in tags:
        return
    raise PreconditionFailed(
        "The resource has changed since you read it (If-Match does not match its ETag); fetch it again."
    )


def with_etag(resp, obj):
    resp.headers["ETag"] = etag_of(obj)
    return resp
