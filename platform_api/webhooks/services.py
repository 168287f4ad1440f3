"""Webhook endpoints: the member's own (others' are 404), their secrets and their deliveries."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete as sql_delete
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..db import is_id, utcnow
from ..events.models import EventLogState
from ..exceptions import Conflict, Invalid, InvalidState, NotFound
from . import secrets, urls
from .models import FINAL, WebhookAttempt, WebhookDelivery, WebhookEndpoint

#: How many endpoints one member may have.
MAX_ENDPOINTS = 16
#: How long the previous secret keeps signing after a rotation.
PREVIOUS_SECRET_TTL = timedelta(hours=24)


def check_url(url: str, *, settings) -> None:
    """422 at /url unless webhooks may be sent to this URL now (urls.py says which may)."""
    try:
        urls.check(url, allow_loopback=settings.loopback_webhooks, allow=settings.webhook_allow_networks)
    except urls.UnsafeURL as exc:
        raise Invalid.at("/url", str(exc)) from None


def get_own(*, session: Session, endpoint_id: str, member_id: str, lock: bool = False) -> WebhookEndpoint:
    """The member's endpoint; 404 exactly as for a missing ID when it is another member's."""
    endpoint = session.get(WebhookEndpoint, endpoint_id) if is_id(endpoint_id) else None
    if endpoint is None or endpoint.member_id != member_id:
        raise NotFound("webhook endpoint")
    if lock:
        stmt = select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint.id).with_for_update()
        endpoint = session.scalars(stmt.execution_options(populate_existing=True)).one()
    return endpoint


def list_query(*, member_id: str):
    return select(WebhookEndpoint).where(WebhookEndpoint.member_id == member_id)


def create(*, session: Session, member_id: str, data: dict, settings) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its secret (shown this once)."""
    count = session.scalar(select(func.count()).select_from(WebhookEndpoint).where(WebhookEndpoint.member_id == member_id))
    if count >= MAX_ENDPOINTS:
        raise Conflict(f"A member may have at most {MAX_ENDPOINTS} webhook endpoints; delete one first.")
    check_url(data["url"], settings=settings)
    now = utcnow()
    position = session.scalar(select(EventLogState.last_position).where(EventLogState.id == 1)) or 0
    endpoint = WebhookEndpoint(
        member_id=member_id, url=data["url"], description=data.get("description"),
        event_types=list(data["event_types"]), enabled=data.get("enabled", True),
        disabled_reason=None if data.get("enabled", True) else "member",
        secret_nonce=secrets.new_nonce(), created_position=position, created_at=now, updated_at=now,
    )
    session.add(endpoint)
    session.flush()
    return endpoint, current_secret(endpoint, settings=settings)


def update(*, session: Session, endpoint: WebhookEndpoint, data: dict, settings) -> WebhookEndpoint:
    if "url" in data and data["url"] != endpoint.url:
        check_url(data["url"], settings=settings)
        endpoint.url = data["url"]
    if "event_types" in data:
        endpoint.event_types = list(data["event_types"])
    if "description" in data:
        endpoint.description = data["description"]
    if "enabled" in data and data["enabled"] != endpoint.enabled:
        endpoint.enabled = data["enabled"]
        endpoint.disabled_reason = None if data["enabled"] else "member"
        endpoint.failing_since = None
    endpoint.updated_at = utcnow()
    session.flush()
    return endpoint


def delete(*, session: Session, endpoint: WebhookEndpoint) -> None:
    """The endpoint goes, and its deliveries with it."""
    session.delete(endpoint)
    session.flush()


def current_secret(endpoint: WebhookEndpoint, *, settings) -> str:
    return secrets.secret(settings.secret_key, endpoint.id, endpoint.secret_nonce)


def rotate_secret(*, session: Session, endpoint: WebhookEndpoint, settings) -> str:
    """A new secret; the current one keeps signing beside it for PREVIOUS_SECRET_TTL."""
    now = utcnow()
    endpoint.previous_secret_nonce = endpoint.secret_nonce
    endpoint.previous_secret_expires_at = now + PREVIOUS_SECRET_TTL
    endpoint.secret_nonce = secrets.new_nonce()
    endpoint.updated_at = now
    session.flush()
    return current_secret(endpoint, settings=settings)


def signing_keys(endpoint: WebhookEndpoint, *, secret_key: str, now) -> list[bytes]:
    """The keys that sign a delivery now: the current secret's, and the previous one's until it expires."""
    keys = [secrets.secret_bytes(secret_key, endpoint.id, endpoint.secret_nonce)]
    if endpoint.previous_secret_nonce and endpoint.previous_secret_expires_at and endpoint.previous_secret_expires_at > now:
        keys.append(secrets.secret_bytes(secret_key, endpoint.id, endpoint.previous_secret_nonce))
    return keys


def deliveries_query(*, endpoint: WebhookEndpoint, status: str | None = None):
    stmt = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
    if status:
        stmt = stmt.where(WebhookDelivery.status == status)
    return stmt


def get_delivery(*, session: Session, endpoint: WebhookEndpoint, delivery_id: str) -> WebhookDelivery:
    delivery = session.get(WebhookDelivery, delivery_id) if is_id(delivery_id) else None
    if delivery is None or delivery.endpoint_id != endpoint.id:
        raise NotFound("delivery")
    return delivery


def purge(*, session: Session, before) -> int:
    """Delete final deliveries (and their attempts) completed before `before`; how many."""
    old = select(WebhookDelivery.id).where(WebhookDelivery.status.in_(FINAL), WebhookDelivery.completed_at < before)
    session.execute(sql_delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(old)))
    return session.execute(sql_delete(WebhookDelivery).where(WebhookDelivery.id.in_(old))).rowcount


def redeliver(*, session: Session, endpoint: WebhookEndpoint, delivery_id: str) -> WebhookDelivery:
    """Send a delivery again as soon as a worker can, with a fresh retry window."""
    delivery = get_delivery(session=session, endpoint=endpoint, delivery_id=delivery_id)
    if delivery.status == "delivering":
        raise InvalidState("This delivery is being sent right now.", allowed_actions=[])
    now = utcnow()
    delivery.status = "pending"
    delivery.next_attempt_at = now
    delivery.window_started_at = now
    delivery.completed_at = None
    delivery.lease_until = None
    delivery.lease_token = None
    session.flush()
    return delivery
