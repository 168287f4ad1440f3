"""Cursor pagination: one way for every collection, newest first by default."""

from __future__ import annotations

import hashlib
from datetime import datetime
from urllib.parse import urlencode

from flask import current_app, jsonify, request
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import and_, or_, select, union_all
from sqlalchemy.orm import Session

from ..errors import InvalidParameter


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="platform.cursor.v1")


def _binding(caller: str, filters: dict) -> str:
    """Ties a cursor to one caller and one query: it is refused anywhere else."""
    items = sorted((k, str(v)) for k, v in filters.items() if k not in ("cursor", "limit") and v is not None)
    raw = f"{request.endpoint}|{caller}|{items}"
    return hashlib.sha256(raw.encode()).hexdigest()[:24]


def _decode(cursor: str, caller: str, filters: dict, key: str):
    try:
        payload = _serializer().loads(cursor)
        if payload.get("b") != _binding(caller, filters):
            raise ValueError("cursor made for another caller or query")
        return payload[key]
    except (BadSignature, ValueError, KeyError, TypeError, AttributeError):
        raise InvalidParameter(
            "cursor", "This cursor is invalid here: use the next_cursor of the previous page of the same query."
        ) from None


def decode_cursor(cursor: str, caller: str, filters: dict) -> tuple[datetime, str]:
    try:
        created, ident = _decode(cursor, caller, filters, "k")
        return datetime.fromisoformat(created), str(ident)
    except (ValueError, TypeError):
        raise InvalidParameter("cursor", "This cursor is invalid here.") from None


def encode_cursor(created: datetime, ident: str, caller: str, filters: dict) -> str:
    return _serializer().dumps({"k": [created.isoformat(), ident], "b": _binding(caller, filters)})


def paginate(session: Session, stmt, *, created_col, id_col, params: dict, caller: str):
    """Run a keyset page of `stmt` (newest first); return (rows, next_cursor)."""
    limit = params["limit"]
    if params.get("cursor"):
        created, ident = decode_cursor(params["cursor"], caller, params)
        stmt = stmt.where(or_(created_col < created, and_(created_col == created, id_col < ident)))
    stmt = stmt.order_by(created_col.desc(), id_col.desc()).limit(limit + 1)
    rows = list(session.scalars(stmt))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor(last.created_at, last.id, caller, params)
    return rows, next_cursor


def page_response(data: list, next_cursor: str | None):
    return _with_next_link(jsonify({"data": data, "next_cursor": next_cursor}), next_cursor)


def to_json(item) -> str:
    """One item as page_response writes it (for callers that keep encoded items)."""
    return current_app.json.dumps(item, separators=(",", ":"))


def page_response_encoded(items: list[str], next_cursor: str | None):
    """page_response for items already encoded with to_json: the same body, byte for byte."""
    body = '{"data":[' + ",".join(items) + '],"next_cursor":' + to_json(next_cursor) + "}\n"
    return _with_next_link(current_app.response_class(body, mimetype="application/json"), next_cursor)


def _with_next_link(resp, next_cursor: str | None):
    if next_cursor:
        args = {k: v for k, v in request.args.items() if k != "cursor"}
        args["cursor"] = next_cursor
        # From the configured public base (the issuer), never from the request's Host header.
        base = current_app.config["PLATFORM"].issuer
        resp.headers["Link"] = f'<{base}{request.path}?{urlencode(args)}>; rel="next"'
    return resp


MAX_OFFSET = 10_000


def ranked_offset(*, params: dict, caller: str) -> int:
    """Where a page of a ranked result starts: 0, or the position its cursor names."""
    if not params.get("cursor"):
        return 0
    offset = _decode(params["cursor"], caller, params, "o")
    if not isinstance(offset, int) or not 0 < offset <= MAX_OFFSET:
        raise InvalidParameter("cursor", "This cursor is invalid here.")
    return offset


def ranked_page(rows: list, *, offset: int, params: dict, caller: str):
    """(page, next_cursor) from the rows of a ranked result from `offset` on (at least limit + 1 if more)."""
    limit = params["limit"]
    next_cursor = None
    if len(rows) > limit and offset + limit <= MAX_OFFSET:
        next_cursor = _serializer().dumps({"o": offset + limit, "b": _binding(caller, params)})
    return rows[:limit], next_cursor


def paginate_ranked(session: Session, stmt, *, params: dict, caller: str):
    """Pages of an already ordered statement (ranked search), by position; rows are tuples."""
    offset = ranked_offset(params=params, caller=caller)
    rows = list(session.execute(stmt.offset(offset).limit(params["limit"] + 1)))
    return ranked_page(rows, offset=offset, params=params, caller=caller)


def paginate_union(session: Session, branches: list, *, created_col, id_col, params: dict, caller: str):
    """A newest-first keyset page over the union of `branches`, each a select of (created_at, id).

    Each branch is ordered and limited on its own, so each can walk its own index; this is how
    "published, or my own" is listed without an OR that defeats the indexes. Returns (ids, cursor).
    """
    limit = params["limit"]
    key = decode_cursor(params["cursor"], caller, params) if params.get("cursor") else None
    parts = []
    for branch in branches:
        if key is not None:
            created, ident = key
            branch = branch.where(or_(created_col < created, and_(created_col == created, id_col < ident)))
        parts.append(branch.order_by(created_col.desc(), id_col.desc()).limit(limit + 1))
    if len(parts) == 1:
        stmt = parts[0]
    else:
        union = union_all(*(select(part.subquery()) for part in parts)).subquery()
        stmt = select(union.c[0], union.c[1]).order_by(union.c[0].desc(), union.c[1].desc()).limit(limit + 1)
    rows = list(session.execute(stmt))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(rows[-1][0], rows[-1][1], caller, params)
    return [row[1] for row in rows], next_cursor


def position_after(*, params: dict, caller: str, bind: dict | None = None) -> int:
    """Where an oldest-first page over an increasing integer key starts: after 0, or after the
    key its cursor names. `bind` adds what else the cursor is tied to (the parent resource)."""
    if not params.get("cursor"):
        return 0
    after = _decode(params["cursor"], caller, {**params, **(bind or {})}, "s")
    if not isinstance(after, int) or isinstance(after, bool) or after < 0:
        raise InvalidParameter("cursor", "This cursor is invalid here.")
    return after


def position_cursor(last: int, *, params: dict, caller: str, bind: dict | None = None) -> str:
    """The cursor of the page after the one that ended at key `last`."""
    return _serializer().dumps({"s": last, "b": _binding(caller, {**params, **(bind or {})})})


def paginate_ascending(session: Session, stmt, *, key_col, params: dict, caller: str, bind: dict | None = None):
    """An oldest-first keyset page over one increasing integer key (an event sequence).

    `bind` adds what else the cursor is tied to (the parent resource), so a cursor made for one
    timeline is refused on another. Returns (rows, next_cursor).
    """
    limit = params["limit"]
    after = position_after(params=params, caller=caller, bind=bind)
    if after:
        stmt = stmt.where(key_col > after)
    rows = list(session.scalars(stmt.order_by(key_col).limit(limit + 1)))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = position_cursor(getattr(rows[-1], key_col.key), params=params, caller=caller, bind=bind)
    return rows, next_cursor
