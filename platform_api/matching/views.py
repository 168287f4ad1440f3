"""/v1/matches and the suggestions for a listing or a profile."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, url_for
from sqlalchemy import select

from ..api.body import json_body, load, query
from ..api.endpoint import endpoint
from ..api.etag import with_etag
from ..api.pagination import page_response, paginate
from ..db import session
from ..exceptions import Forbidden
from ..investors import services as investors
from ..investors.models import InvestorProfile
from ..api.auth import current_principal
from ..technologies import services as technologies
from . import representations, services, suggestions
from .models import Match
from .schemas import CloseSchema, DeclineSchema, MatchCreateSchema, MatchListQuery, SuggestionQuery

bp = Blueprint("matching", __name__, url_prefix="/v1")


def _home() -> str:
    return current_app.config["PLATFORM"].home_country


def _one(match: Match, status: int = 200):
    view = representations.match(match, viewer_id=current_principal().member_id, home_country=_home())
    resp = with_etag(jsonify(view), match)
    resp.status_code = status
    return resp


@bp.get("/matches")
@endpoint("matches:read")
def list_matches():
    params = query(MatchListQuery)
    p = current_principal()
    stmt = services.list_query(member_id=p.member_id, params=params)
    rows, cursor = paginate(session(), stmt, created_col=Match.created_at, id_col=Match.id, params=params,
                            caller=p.client.id)
    home = _home()
    return page_response([representations.match(m, viewer_id=p.member_id, home_country=home) for m in rows],
                         cursor)


@bp.post("/matches")
@endpoint("matches:write", idempotent=True)
def propose_match():
    data = load(MatchCreateSchema(), json_body())
    p = current_principal()
    match = services.propose(session=session(), member=p.member, data=data, client_id=p.client.client_id)
    resp = _one(match, 201)
    resp.headers["Location"] = url_for("matching.get_match", match_id=match.id)
    return resp


@bp.get("/matches/<match_id>")
@endpoint("matches:read")
def get_match(match_id: str):
    return _one(services.get_visible(session=session(), match_id=match_id, member_id=current_principal().member_id))


def _respond(match_id: str, action: str, schema=None):
    member_id = current_principal().member_id
    match = services.get_visible(session=session(), match_id=match_id, member_id=member_id)
    data = load(schema, json_body()) if schema is not None else None
    services.respond(session=session(), match=match, member_id=member_id, action=action, data=data)
    return _one(match)


@bp.post("/matches/<match_id>/accept")
@endpoint("matches:write")
def accept_match(match_id: str):
    return _respond(match_id, "accept")


@bp.post("/matches/<match_id>/decline")
@endpoint("matches:write")
def decline_match(match_id: str):
    return _respond(match_id, "decline", DeclineSchema())


@bp.post("/matches/<match_id>/withdraw")
@endpoint("matches:write")
def withdraw_match(match_id: str):
    return _respond(match_id, "withdraw")


@bp.post("/matches/<match_id>/close")
@endpoint("matches:write")
def close_match(match_id: str):
    member_id = current_principal().member_id
    match = services.get_visible(session=session(), match_id=match_id, member_id=member_id)
    data = load(CloseSchema(), json_body())
    services.close(session=session(), match=match, member_id=member_id, data=data)
    return _one(match)


def _weights() -> dict:
    return current_app.config["PLATFORM"].match_weights


@bp.get("/technologies/<technology_id>/suggested-investors")
@endpoint("investors:read")
def suggested_investors(technology_id: str):
    params = query(SuggestionQuery)
    member_id = current_principal().member_id
    tech = technologies.get_visible(session=session(), technology_id=technology_id, member_id=member_id)
    if tech.owner_id != member_id:
        raise Forbidden("Only the listing's owner sees the investors suggested for it.")
    found = suggestions.for_technology(session(), tech=tech, weights=_weights(), limit=params["limit"])
    ids = [s.id for s in found]
    by_id = {p.id: p for p in session().scalars(select(InvestorProfile).where(InvestorProfile.id.in_(ids)))}
    home = _home()
    return jsonify({"data": [representations.investor_suggestion(s, by_id[s.id], home) for s in found]})


@bp.get("/investor-profiles/<investor_profile_id>/suggested-technologies")
@endpoint("technologies:read")
def suggested_technologies(investor_profile_id: str):
    params = query(SuggestionQuery)
    member_id = current_principal().member_id
    profile = investors.get_visible(session=session(), profile_id=investor_profile_id, member_id=member_id)
    if profile.owner_id != member_id:
        raise Forbidden("Only the profile's owner sees the technologies suggested for it.")
    found = suggestions.for_profile(session(), profile=profile, weights=_weights(), limit=params["limit"])
    by_id = {t.id: t for t in technologies.load_in_order(session(), [s.id for s in found])}
    home = _home()
    return jsonify({"data": [
        representations.technology_suggestion(s, by_id[s.id], viewer_id=member_id, home_country=home) for s in found
    ]})
