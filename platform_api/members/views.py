"""/v1/me and the member directory."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from ..api.body import json_body, load, query
from ..api.endpoint import AUTHENTICATED, endpoint
from ..api.etag import require_if_match, with_etag
from ..api.pagination import page_response, paginate
from ..db import session
from ..api.auth import current_principal
from . import services
from .models import Member
from .representations import me as me_view, member_public, member_view
from .schemas import MemberListQuery, MemberPatchSchema

bp = Blueprint("members", __name__, url_prefix="/v1")


def _home() -> str:
    return current_app.config["PLATFORM"].home_country


@bp.get("/me")
@endpoint(AUTHENTICATED)
def me():
    return jsonify(me_view(current_principal(), _home()))


@bp.get("/members")
@endpoint("members:read")
def list_members():
    params = query(MemberListQuery)
    p = current_principal()
    stmt = services.directory_query(kind=params.get("kind"), country=params.get("country"), q=params.get("q"))
    rows, cursor = paginate(
        session(), stmt, created_col=Member.created_at, id_col=Member.id, params=params, caller=p.client.id
    )
    home = _home()
    return page_response([member_public(m, home) for m in rows], cursor)


def _view(member: Member):
    return member_view(member, viewer_id=current_principal().member_id, home_country=_home())


@bp.get("/members/<member_id>")
@endpoint("members:read")
def get_member(member_id: str):
    member = services.get_visible(session=session(), member_id=member_id, viewer=current_principal().member)
    return with_etag(jsonify(_view(member)), member)


@bp.patch("/members/<member_id>")
@endpoint("members:write")
def patch_member(member_id: str):
    viewer = current_principal().member
    member = services.get_visible(session=session(), member_id=member_id, viewer=viewer)
    services.ensure_own(member, viewer)
    require_if_match(member)
    changes = load(MemberPatchSchema(), json_body())
    services.update_profile(session=session(), member=member, changes=changes)
    return with_etag(jsonify(_view(member)), member)
