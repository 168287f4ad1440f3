"""How the API shows an investor profile (the same to its owner and to everyone who may see it).

The TypedDict is named after the openapi.yaml component schema it produces.
"""

from __future__ import annotations

from typing import TypedDict

from ..api.representations import Money, money
from ..api.schemas import rfc3339
from ..members.representations import MemberRef, member_ref
from . import models


class InvestorProfile(TypedDict):
    """openapi.yaml InvestorProfile."""

    id: str
    owner: MemberRef
    name: str
    description: dict | None
    fields: list[str]
    trl_min: int
    trl_max: int
    ticket_min: Money
    ticket_max: Money
    countries: list[str]
    deal_types: list[str]
    keywords: list[str]
    active: bool
    created_at: str
    updated_at: str


def investor_profile(profile: models.InvestorProfile, home_country: str) -> InvestorProfile:
    return {
        "id": profile.id,
        "owner": member_ref(profile.owner, home_country),
        "name": profile.name,
        "description": profile.description,
        "fields": profile.fields,
        "trl_min": profile.trl_min,
        "trl_max": profile.trl_max,
        "ticket_min": money(profile.ticket_min, profile.ticket_currency),
        "ticket_max": money(profile.ticket_max, profile.ticket_currency),
        "countries": profile.countries,
        "deal_types": profile.deal_types,
        "keywords": profile.keywords,
        "active": profile.active,
        "created_at": rfc3339(profile.created_at),
        "updated_at": rfc3339(profile.updated_at),
    }
