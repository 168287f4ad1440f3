"""How endpoints and deliveries are shown (API and `platform-admin webhooks --json`)."""

from __future__ import annotations

from typing import TypedDict

from ..api.schemas import rfc3339
from .models import WebhookDelivery, WebhookEndpoint


class Endpoint(TypedDict):
    """openapi.yaml WebhookEndpoint."""

    id: str
    url: str
    description: str | None
    event_types: list[str]
    enabled: bool
    disabled_reason: str | None
    created_at: str
    updated_at: str


class EndpointSecret(TypedDict):
    """openapi.yaml WebhookEndpointSecret."""

    secret: str
    previous_secret_expires_at: str | None


class Delivery(TypedDict):
    """openapi.yaml WebhookDelivery."""

    id: str
    event_id: str
    event_type: str
    status: str
    attempt_count: int
    created_at: str
    next_attempt_at: str | None
    last_attempt_at: str | None
    response_status: int | None
    duration_ms: int | None
    response_body: str | None
    error: str | None


def endpoint(e: WebhookEndpoint) -> Endpoint:
    return {
        "id": e.id, "url": e.url, "description": e.description, "event_types": list(e.event_types),
        "enabled": e.enabled, "disabled_reason": e.disabled_reason,
        "created_at": rfc3339(e.created_at), "updated_at": rfc3339(e.updated_at),
    }


def endpoint_secret(e: WebhookEndpoint, secret: str) -> EndpointSecret:
    return {"secret": secret, "previous_secret_expires_at": rfc3339(e.previous_secret_expires_at)}


def delivery(d: WebhookDelivery) -> Delivery:
    return {
        "id": d.id, "event_id": d.event_id, "event_type": d.event_type, "status": d.status,
        "attempt_count": d.attempt_count, "created_at": rfc3339(d.created_at),
        "next_attempt_at": rfc3339(d.next_attempt_at) if d.status in ("pending", "delivering") else None,
        "last_attempt_at": rfc3339(d.last_attempt_at), "response_status": d.last_response_status,
        "duration_ms": d.last_duration_ms, "response_body": d.last_response_body, "error": d.last_error,
    }
