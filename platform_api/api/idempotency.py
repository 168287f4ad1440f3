"""Idempotency-Key: a retried POST returns the first response and creates nothing."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta

from flask import Response, current_app, request
from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..db import Base, IdColumn, JSONType, UTCDateTime, new_id, utcnow
from ..errors import ApiError, BadRequest
from ..exceptions import Invalid

# A request that crashed without cleaning up leaves an in-progress record; after this long
# another request with the same key may take it over. Longer than gunicorn's 30 s timeout, so a
# claim this old cannot belong to a request that is still running.
STALE_AFTER = timedelta(seconds=60)
_REPLAYED_HEADERS = ("Content-Type", "Location", "ETag")


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_records"

    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True, default=new_id)
    client_pk: Mapped[str] = mapped_column(ForeignKey("oauth_clients.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="in_progress")
    status_code: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str | None] = mapped_column(Text)
    headers: Mapped[dict | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)

    __table_args__ = (UniqueConstraint("client_pk", "key", name="uq_idempotency_client_key"),)


def _key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not 1 <= len(key) <= 255 or not key.isprintable() or not key.isascii():
        raise BadRequest("Idempotency-Key must be 1 to 255 printable ASCII characters.")
    return key


def _fingerprint() -> str:
    raw = request.get_data(cache=True)
    try:
        canonical = json.dumps(json.loads(raw), sort_keys=True, separators=(",", ":"))
    except (ValueError, RecursionError):
        canonical = raw.decode("utf-8", "replace")
    return hashlib.sha256(f"{request.method} {request.path}\n{canonical}".encode()).hexdigest()


def _replay(record: IdempotencyRecord) -> Response:
    resp = Response(record.body, status=record.status_code)
    for name, value in (record.headers or {}).items():
        resp.headers[name] = value
    resp.headers["Idempotent-Replayed"] = "true"
    return resp


def run_idempotent(s: Session, client_pk: str, call):
    """Run `call` once per (client, key); the completed record commits with its effects."""
    key = _key()
    if key is None:
        return call()
    fingerprint = _fingerprint()
    s.commit()  # end the authentication read so the claim below is its own transaction
    record = _claim(s, client_pk, key, fingerprint)
    if isinstance(record, Response):
        return record
    record_id = record.id
    try:
        resp = current_app.make_response(call())
        if resp.status_code >= 400:
            raise _Refused(resp)
        record = s.get(IdempotencyRecord, record_id)
        record.state = "completed"
        record.status_code = resp.status_code
        record.body = resp.get_data(as_text=True)
        record.headers = {h: resp.headers[h] for h in _REPLAYED_HEADERS if h in resp.headers}
        # Committed here, with the request's effects: if this commit fails, the claim is released
        # below like on any other failure, so that a retry is not told the key is still in use.
        s.commit()
        return resp
    except _Refused as refused:
        _release(s, record_id)
        return refused.response
    except BaseException:
        _release(s, record_id)
        raise


class _Refused(Exception):
    """An error response (not an exception) from the view: nothing is stored under the key."""

    def __init__(self, response: Response):
        self.response = response


def _release(s: Session, record_id: str) -> None:
    """Drop a claim after a failure; if even that fails, the claim goes stale after STALE_AFTER."""
    s.rollback()
    try:
        s.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id))
        s.commit()
    except Exception:
        s.rollback()


def _claim(s: Session, client_pk: str, key: str, fingerprint: str):
    ttl = timedelta(seconds=current_app.config["PLATFORM"].idempotency_ttl)
    now = utcnow()
    for _attempt in range(3):
        existing = s.scalars(
            select(IdempotencyRecord).where(IdempotencyRecord.client_pk == client_pk, IdempotencyRecord.key == key)
        ).first()
        if existing is not None:
            stale = existing.state == "in_progress" and existing.created_at < now - STALE_AFTER
            if existing.expires_at <= now or stale:
                s.delete(existing)
                s.flush()
            elif existing.fingerprint != fingerprint:
                s.rollback()
                raise Invalid(
                    [{"pointer": "", "detail": "This Idempotency-Key was used with a different request body."}],
                    detail="This Idempotency-Key was already used for a different request; use a new key.",
                )
            elif existing.state == "in_progress":
                s.rollback()
                raise ApiError(
                    "A request with this Idempotency-Key is still being processed; retry later.",
                    status=409,
                    slug="idempotency-conflict",
                )
            else:
                s.rollback()
                return _replay(existing)
        _purge_some(s, now)
        record = IdempotencyRecord(
            client_pk=client_pk, key=key, fingerprint=fingerprint, expires_at=now + ttl
        )
        s.add(record)
        try:
            s.commit()
            return record
        except IntegrityError:
            s.rollback()  # a concurrent request claimed the key first: look again
    raise ApiError(
        "A request with this Idempotency-Key is still being processed; retry later.",
        status=409,
        slug="idempotency-conflict",
    )


def _purge_some(s: Session, now: datetime, batch: int = 50) -> None:
    """Delete a bounded batch of expired records, so that the table cannot grow without end."""
    expired = select(IdempotencyRecord.id).where(IdempotencyRecord.expires_at <= now).limit(batch)
    s.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id.in_(expired.scalar_subquery())))
