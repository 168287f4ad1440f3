"""How the API and the admin command line show a technology listing, one function per audience.

The TypedDicts are named after the openapi.yaml component schemas they produce. Every audience
is built on the public view (what every member may see), so that each field is laid out in one
place. Search keeps the public views of listings JSON-encoded per worker (catalogue_cache), so
these are plain functions: a page of listings costs no schema machinery.
"""

from __future__ import annotations

from typing import NotRequired, TypedDict

from ..api.representations import Money, money
from ..api.schemas import rfc3339
from ..members.representations import MemberRef, member_ref
from . import models
from .models import ACTIONS_BY_STATUS


class Technology(TypedDict):
    """openapi.yaml Technology; the last three fields only for the listing's owner."""

    id: str
    owner: MemberRef
    status: str
    title: dict
    summary: dict
    keywords: list[str]
    field: str
    ipc: list[str]
    trl: int
    ip_rights: list[dict]
    deal_types: list[str]
    asking_price: Money | None
    origin_country: str
    countries_available: list[str]
    created_at: str
    updated_at: str
    published_at: str | None
    review_note: NotRequired[str | None]
    submitted_at: NotRequired[str | None]
    allowed_actions: NotRequired[list[str]]


class TechnologyAdmin(Technology):
    """Not in the contract: what `platform-admin technologies` prints (--json). The owner's view
    of the listing (review_note and submitted_at always there) with who created it, and without
    what the owner may do (allowed_actions)."""

    created_by_client_id: str | None


def technology_public(tech: models.Technology, home_country: str) -> Technology:
    """A listing as every member who may see it sees it (the view search caches)."""
    return {
        "id": tech.id,
        "owner": member_ref(tech.owner, home_country),
        "status": tech.status,
        "title": tech.title,
        "summary": tech.summary,
        "keywords": tech.keywords,
        "field": tech.field,
        "ipc": tech.ipc,
        "trl": tech.trl,
        "ip_rights": tech.ip_rights,
        "deal_types": tech.deal_types,
        "asking_price": money(tech.price_amount, tech.price_currency),
        "origin_country": tech.origin_country,
        "countries_available": tech.countries_available,
        "created_at": rfc3339(tech.created_at),
        "updated_at": rfc3339(tech.updated_at),
        "published_at": rfc3339(tech.published_at),
    }


def _with_review(tech: models.Technology, home_country: str) -> Technology:
    """The public view plus the review: what the owner and the staff see."""
    data = technology_public(tech, home_country)
    data["review_note"] = tech.review_note
    data["submitted_at"] = rfc3339(tech.submitted_at)
    return data


def technology_own(tech: models.Technology, home_country: str) -> Technology:
    """A listing as its owner sees it: with the review note and what the owner may do now."""
    data = _with_review(tech, home_country)
    data["allowed_actions"] = ACTIONS_BY_STATUS[tech.status]
    return data


def technology(tech: models.Technology, *, viewer_id: str, home_country: str) -> Technology:
    """A listing as `viewer_id` sees it: the owner's view for its owner, the public view otherwise."""
    if tech.owner_id == viewer_id:
        return technology_own(tech, home_country)
    return technology_public(tech, home_country)


def technology_admin(tech: models.Technology, home_country: str) -> TechnologyAdmin:
    """Everything about a listing, as staff see it (what the owner may do is not their business here)."""
    data = _with_review(tech, home_country)
    data["created_by_client_id"] = tech.created_by_client_id
    return data
