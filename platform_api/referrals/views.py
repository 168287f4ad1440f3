"""/v1/referrals: refer a dispute, follow it, and write its timeline."""

from __future__ import annotations

from flask import Blueprint, jsonify, url_for

from ..api import pagination
from ..api.body import json_body, load, query
from ..api.endpoint import endpoint
from ..api.etag import with_etag
from ..api.schemas import ListQuery
from ..db import session
from ..exceptions import Invalid
from ..api.auth import current_principal
from . import representations, rules, services
from .models import Referral, ReferralEvent
from .schemas import EVENT_SCHEMAS, ReferralCreateSchema, ReferralListQuery

bp = Blueprint("referrals", __name__, url_prefix="/v1")


def _one(referral: Referral, status: int = 200):
    resp = with_etag(jsonify(representations.referral(referral, viewer_id=current_principal().member_id)), referral)
    resp.status_code = status
    return resp


@bp.get("/referrals")
@endpoint("referrals:read")
def list_referrals():
    params = query(ReferralListQuery)
    p = current_principal()
    stmt = services.list_query(member_id=p.member_id, params=params)
    rows, cursor = pagination.paginate(
        session(), stmt, created_col=Referral.created_at, id_col=Referral.id, params=params, caller=p.client.id
    )
    return pagination.page_response([representations.referral(r, viewer_id=p.member_id) for r in rows], cursor)


@bp.post("/referrals")
@endpoint("referrals:write", idempotent=True)
def create_referral():
    data = load(ReferralCreateSchema(), json_body())
    p = current_principal()
    referral = services.create(session=session(), claimant=p.member, data=data, user=p.user, client_id=p.client.client_id)
    resp = _one(referral, 201)
    resp.headers["Location"] = url_for("referrals.get_referral", referral_id=referral.id)
    return resp


@bp.get("/referrals/<referral_id>")
@endpoint("referrals:read")
def get_referral(referral_id: str):
    referral = services.get_visible(session=session(), referral_id=referral_id, member_id=current_principal().member_id)
    return _one(referral)


@bp.get("/referrals/<referral_id>/events")
@endpoint("referrals:read")
def list_events(referral_id: str):
    params = query(ListQuery)
    p = current_principal()
    referral = services.get_visible(session=session(), referral_id=referral_id, member_id=p.member_id)
    rows, cursor = pagination.paginate_ascending(
        session(), services.events_query(referral), key_col=ReferralEvent.sequence, params=params,
        caller=p.client.id, bind={"referral": referral.id},
    )
    return pagination.page_response([representations.referral_event(e) for e in rows], cursor)


@bp.post("/referrals/<referral_id>/events")
@endpoint("referrals:write", idempotent=True)
def post_event(referral_id: str):
    p = current_principal()
    s = session()
    # Visibility first: a non-party learns nothing, whatever it sends.
    services.get_visible(session=s, referral_id=referral_id, member_id=p.member_id)
    body = json_body()
    event_type = body.get("type")
    if event_type is None:
        raise Invalid([{"pointer": "/type", "detail": "Missing data for required field."}])
    if event_type not in rules.POSTABLE:
        detail = "Must be one of: " + ", ".join(rules.POSTABLE) + "."
        if event_type == "submitted":
            detail = "The 'submitted' event is written by POST /v1/referrals. " + detail
        raise Invalid([{"pointer": "/type", "detail": detail}])
    # Appends to one timeline are serialised: lock the referral, then re-check against its
    # current status.
    referral = services.get_visible(session=s, referral_id=referral_id, member_id=p.member_id, lock=True)
    services.check_event_allowed(referral, p.member_id, event_type)
    data = load(EVENT_SCHEMAS[event_type](), body)
    event = services.post_event(session=s, referral=referral, actor=p.member, event_type=event_type, data=data, user=p.user)
    resp = jsonify(representations.referral_event(event))
    resp.status_code = 201
    return resp
