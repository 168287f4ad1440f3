"""/v1/webhook-endpoints: a member's endpoints, their secrets and their deliveries."""

from __future__ import annotations

import json

from flask import Blueprint, current_app, jsonify, url_for

from ..api import pagination
from ..api.auth import current_principal
from ..api.body import json_body, load, query
from ..api.endpoint import endpoint
from ..api.etag import require_if_match, with_etag
from ..api.idempotency import run_idempotent
from ..api.schemas import ListQuery
from ..db import session
from . import representations, services
from .models import WebhookDelivery, WebhookEndpoint
from .schemas import DeliveryListQuery, WebhookEndpointCreateSchema, WebhookEndpointUpdateSchema

bp = Blueprint("webhooks", __name__, url_prefix="/v1")


def _settings():
    return current_app.config["PLATFORM"]


def _one(e: WebhookEndpoint, status: int = 200):
    resp = with_etag(jsonify(representations.endpoint(e)), e)
    resp.status_code = status
    return resp


def _own(endpoint_id: str, **kw) -> WebhookEndpoint:
    return services.get_own(session=session(), endpoint_id=endpoint_id, member_id=current_principal().member_id, **kw)


@bp.get("/webhook-endpoints")
@endpoint("webhooks:read")
def list_endpoints():
    params = query(ListQuery)
    p = current_principal()
    rows, cursor = pagination.paginate(
        session(), services.list_query(member_id=p.member_id), created_col=WebhookEndpoint.created_at,
        id_col=WebhookEndpoint.id, params=params, caller=p.client.id,
    )
    return pagination.page_response([representations.endpoint(e) for e in rows], cursor)


@bp.post("/webhook-endpoints")
@endpoint("webhooks:write")
def create_endpoint():
    # Idempotent, but the stored response holds no secret: it is added to the first response
    # and to each replay, derived again (secrets are never stored; see secrets.py).
    p = current_principal()
    resp = run_idempotent(session(), p.client.id, _create)
    if resp.status_code == 201:
        body = json.loads(resp.get_data(as_text=True))
        e = _own(body["id"])
        body.update(representations.endpoint_secret(e, services.current_secret(e, settings=_settings())))
        resp.set_data(json.dumps(body, ensure_ascii=False))
    return resp


def _create():
    data = load(WebhookEndpointCreateSchema(), json_body())
    e, _secret = services.create(session=session(), member_id=current_principal().member_id, data=data,
                                 settings=_settings())
    resp = _one(e, 201)
    resp.headers["Location"] = url_for("webhooks.get_endpoint", webhook_endpoint_id=e.id)
    return resp


@bp.get("/webhook-endpoints/<webhook_endpoint_id>")
@endpoint("webhooks:read")
def get_endpoint(webhook_endpoint_id: str):
    return _one(_own(webhook_endpoint_id))


@bp.patch("/webhook-endpoints/<webhook_endpoint_id>")
@endpoint("webhooks:write")
def update_endpoint(webhook_endpoint_id: str):
    e = _own(webhook_endpoint_id, lock=True)
    require_if_match(e)
    data = load(WebhookEndpointUpdateSchema(), json_body(), partial=True)
    return _one(services.update(session=session(), endpoint=e, data=data, settings=_settings()))


@bp.delete("/webhook-endpoints/<webhook_endpoint_id>")
@endpoint("webhooks:write")
def delete_endpoint(webhook_endpoint_id: str):
    e = _own(webhook_endpoint_id, lock=True)
    require_if_match(e)
    services.delete(session=session(), endpoint=e)
    return "", 204


@bp.post("/webhook-endpoints/<webhook_endpoint_id>/rotate-secret")
@endpoint("webhooks:write")
def rotate_secret(webhook_endpoint_id: str):
    e = _own(webhook_endpoint_id, lock=True)
    secret = services.rotate_secret(session=session(), endpoint=e, settings=_settings())
    return with_etag(jsonify(representations.endpoint_secret(e, secret)), e)


@bp.get("/webhook-endpoints/<webhook_endpoint_id>/deliveries")
@endpoint("webhooks:read")
def list_deliveries(webhook_endpoint_id: str):
    params = query(DeliveryListQuery)
    p = current_principal()
    e = _own(webhook_endpoint_id)
    rows, cursor = pagination.paginate(
        session(), services.deliveries_query(endpoint=e, status=params["status"]),
        created_col=WebhookDelivery.created_at, id_col=WebhookDelivery.id, params=params, caller=p.client.id,
    )
    return pagination.page_response([representations.delivery(d) for d in rows], cursor)


@bp.post("/webhook-endpoints/<webhook_endpoint_id>/deliveries/<delivery_id>/redeliver")
@endpoint("webhooks:write")
def redeliver(webhook_endpoint_id: str, delivery_id: str):
    e = _own(webhook_endpoint_id)
    d = services.redeliver(session=session(), endpoint=e, delivery_id=delivery_id)
    resp = jsonify(representations.delivery(d))
    resp.status_code = 202
    return resp
