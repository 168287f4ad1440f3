"""GET /v1/stats: anonymous totals only; nothing here identifies a member or a case."""

from __future__ import annotations

from flask import Blueprint, jsonify

from ..api.body import query
from ..api.endpoint import endpoint
from ..api.schemas import BaseSchema, rfc3339
from ..db import session, utcnow
from ..matching import stats as matching_stats
from ..referrals import services as referrals

bp = Blueprint("stats", __name__, url_prefix="/v1")


@bp.get("/stats")
@endpoint("technologies:read")
def platform_stats():
    query(BaseSchema)  # no parameters: any is refused with 400
    s = session()
    return jsonify(
        {
            "generated_at": rfc3339(utcnow()),
            "listings": matching_stats.listings_section(session=s),
            "matches": matching_stats.matches_section(session=s),
            "deals": matching_stats.deals_section(session=s),
            "referrals": referrals.totals(session=s),
        }
    )
