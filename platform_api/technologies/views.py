"""/v1/technologies: listings, their lifecycle actions and the search."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, url_for

from ..api.body import json_body, load, query
from ..api.endpoint import endpoint
from ..api.etag import require_if_match, with_etag
from ..api.pagination import (
    page_response, page_response_encoded, paginate_ranked, paginate_union, ranked_offset, ranked_page, to_json,
)
from ..db import session
from ..api.auth import current_principal
from . import catalogue_cache, representations, search, services
from .models import Technology
from .schemas import TechnologyCreateSchema, TechnologyListQuery, TechnologyPatchSchema

bp = Blueprint("technologies", __name__, url_prefix="/v1")


def _view(tech: Technology) -> representations.Technology:
    return representations.technology(
        tech, viewer_id=current_principal().member_id, home_country=current_app.config["PLATFORM"].home_country
    )


def _one(tech: Technology, status: int = 200):
    resp = with_etag(jsonify(_view(tech)), tech)
    resp.status_code = status
    return resp


@bp.get("/technologies")
@endpoint("technologies:read")
def list_technologies():
    params = query(TechnologyListQuery)
    p = current_principal()
    s = session()
    if params.get("q") and params.get("sort") != "newest" and not params.get("mine") and not params.get("status"):
        return _relevance_search(params)
    if params.get("q"):
        ranked = services.ranked_ids(s, member_id=p.member_id, params=params)
        if ranked is None:
            return page_response([], None)
        if params.get("sort") != "newest":
            rows, cursor = paginate_ranked(s, ranked, params=params, caller=p.client.id)
            ids = [row[0] for row in rows]
        else:
            ids, cursor = paginate_union(
                s, [ranked.with_only_columns(Technology.created_at, Technology.id).order_by(None)],
                created_col=Technology.created_at, id_col=Technology.id, params=params, caller=p.client.id,
            )
    else:
        ids, cursor = paginate_union(
            s, services.newest_branches(member_id=p.member_id, params=params),
            created_col=Technology.created_at, id_col=Technology.id, params=params, caller=p.client.id,
        )
    return page_response([_view(t) for t in services.load_in_order(s, ids)], cursor)


def _relevance_search(params: dict):
    """Published matches ranked through the catalogue cache, merged with the caller's own."""
    p = current_principal()
    s = session()
    if not search.query_terms(params["q"]):
        return page_response([], None)
    offset = ranked_offset(params=params, caller=p.client.id)
    need = offset + params["limit"] + 1
    cache = catalogue_cache.cache()
    version, merged = services.relevance_rows(s, cache, member_id=p.member_id, params=params, need=need)
    rows, cursor = ranked_page(merged[offset:], offset=offset, params=params, caller=p.client.id)
    ids = [row[2] for row in rows]
    shared = {row[2] for row in rows if row[3] != p.member_id}  # published by others: one view for all
    views = cache.views(version, [i for i in ids if i in shared])  # encoded JSON, ready to send
    loaded = {t.id: to_json(_view(t)) for t in services.load_in_order(
        s, [i for i in ids if i not in views], visible_to_member=p.member_id)}
    cache.put_views(version, {i: v for i, v in loaded.items() if i in shared})
    return page_response_encoded([v for i in ids if (v := views.get(i) or loaded.get(i)) is not None], cursor)


@bp.post("/technologies")
@endpoint("technologies:write", idempotent=True)
def create_technology():
    data = load(TechnologyCreateSchema(), json_body())
    p = current_principal()
    tech = services.create(session=session(), owner=p.member, data=data, client_id=p.client.client_id)
    resp = _one(tech, 201)
    resp.headers["Location"] = url_for("technologies.get_technology", technology_id=tech.id)
    return resp


@bp.get("/technologies/<technology_id>")
@endpoint("technologies:read")
def get_technology(technology_id: str):
    tech = services.get_visible(session=session(), technology_id=technology_id, member_id=current_principal().member_id)
    return _one(tech)


@bp.patch("/technologies/<technology_id>")
@endpoint("technologies:write")
def patch_technology(technology_id: str):
    tech = services.get_own(session=session(), technology_id=technology_id, member_id=current_principal().member_id)
    require_if_match(tech)
    data = load(TechnologyPatchSchema(), json_body())
    services.update(session=session(), tech=tech, data=data)
    return _one(tech)


@bp.delete("/technologies/<technology_id>")
@endpoint("technologies:write")
def delete_technology(technology_id: str):
    tech = services.get_own(session=session(), technology_id=technology_id, member_id=current_principal().member_id)
    require_if_match(tech)
    services.remove(session=session(), tech=tech)
    return "", 204


def _action(technology_id: str, action: str):
    tech = services.get_own(session=session(), technology_id=technology_id, member_id=current_principal().member_id)
    services.transition(session=session(), tech=tech, action=action)
    return _one(tech)


@bp.post("/technologies/<technology_id>/submit")
@endpoint("technologies:write")
def submit_technology(technology_id: str):
    return _action(technology_id, "submit")


@bp.post("/technologies/<technology_id>/withdraw")
@endpoint("technologies:write")
def withdraw_technology(technology_id: str):
    return _action(technology_id, "withdraw")
