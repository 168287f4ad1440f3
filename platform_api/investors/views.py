"""/v1/investor-profiles: the mandates of investors and financial institutions."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, url_for

from ..api.body import json_body, load, query
from ..api.endpoint import endpoint
from ..api.etag import require_if_match, with_etag
from ..api.pagination import page_response, paginate
from ..db import session
from ..api.auth import current_principal
from . import services
from .models import InvestorProfile
from .representations import investor_profile
from .schemas import ProfileCreateSchema, ProfileListQuery, ProfilePatchSchema

bp = Blueprint("investors", __name__, url_prefix="/v1")


def _one(profile: InvestorProfile, status: int = 200):
    resp = with_etag(jsonify(investor_profile(profile, current_app.config["PLATFORM"].home_country)), profile)
    resp.status_code = status
    return resp


@bp.get("/investor-profiles")
@endpoint("investors:read")
def list_profiles():
    params = query(ProfileListQuery)
    p = current_principal()
    stmt = services.list_query(member_id=p.member_id, params=params)
    rows, cursor = paginate(session(), stmt, created_col=InvestorProfile.created_at, id_col=InvestorProfile.id,
                            params=params, caller=p.client.id)
    home = current_app.config["PLATFORM"].home_country
    return page_response([investor_profile(r, home) for r in rows], cursor)


@bp.post("/investor-profiles")
@endpoint("investors:write", idempotent=True)
def create_profile():
    data = load(ProfileCreateSchema(), json_body())
    p = current_principal()
    profile = services.create(session=session(), owner=p.member, data=data, client_id=p.client.client_id)
    resp = _one(profile, 201)
    resp.headers["Location"] = url_for("investors.get_profile", investor_profile_id=profile.id)
    return resp


@bp.get("/investor-profiles/<investor_profile_id>")
@endpoint("investors:read")
def get_profile(investor_profile_id: str):
    member_id = current_principal().member_id
    return _one(services.get_visible(session=session(), profile_id=investor_profile_id, member_id=member_id))


@bp.patch("/investor-profiles/<investor_profile_id>")
@endpoint("investors:write")
def patch_profile(investor_profile_id: str):
    member_id = current_principal().member_id
    profile = services.get_own(session=session(), profile_id=investor_profile_id, member_id=member_id)
    require_if_match(profile)
    data = load(ProfilePatchSchema(), json_body())
    services.update(session=session(), profile=profile, data=data)
    return _one(profile)


@bp.delete("/investor-profiles/<investor_profile_id>")
@endpoint("investors:write")
def delete_profile(investor_profile_id: str):
    member_id = current_principal().member_id
    profile = services.get_own(session=session(), profile_id=investor_profile_id, member_id=member_id, doing="delete")
    require_if_match(profile)
    services.remove(session=session(), profile=profile)
    return "", 204
