"""How the API shows a match and the suggestions for a listing or a profile.

The TypedDicts are named after the openapi.yaml component schemas they produce (inline parts
of a schema after it and the property: Match.technology is MatchTechnology). A suggestion shows
the listing or the profile through its own feature's representation.
"""

from __future__ import annotations

from typing import Literal, TypedDict

from ..api.representations import Money, money
from ..api.schemas import rfc3339
from ..investors.representations import InvestorProfile, investor_profile
from ..members.representations import MemberRef, member_ref
from ..technologies.representations import Technology, technology
from . import models
from .rules import allowed_actions, role_of
from .scoring import Factor
from .suggestions import Suggestion


class Recordal(TypedDict):
    """openapi.yaml Recordal."""

    office: str
    reference: str
    recorded_on: str


class MatchDealClosed(TypedDict):
    """openapi.yaml MatchDealClosed (Match.outcome, a deal closed)."""

    outcome: Literal["deal_closed"]
    deal_type: str
    amount: Money
    signed_on: str
    recordal: Recordal | None


class MatchNoDeal(TypedDict):
    """openapi.yaml MatchNoDeal (Match.outcome, no deal)."""

    outcome: Literal["no_deal"]
    reason: str
    note: str | None


class MatchDeclined(TypedDict):
    """openapi.yaml MatchDeclined (Match.decline; MatchDecline is the request)."""

    reason: str
    note: str | None


class MatchTechnology(TypedDict):
    """openapi.yaml Match.technology."""

    id: str
    title: dict
    field: str
    status: str
    owner: MemberRef


class MatchInvestorProfile(TypedDict):
    """openapi.yaml Match.investor_profile."""

    id: str
    name: str
    active: bool
    owner: MemberRef


class Match(TypedDict):
    """openapi.yaml Match: as either side sees it, with what the viewer's side may do next."""

    id: str
    status: str
    role: str
    proposed_by: str
    technology: MatchTechnology
    investor_profile: MatchInvestorProfile
    message: str | None
    decline: MatchDeclined | None
    outcome: MatchDealClosed | MatchNoDeal | None
    allowed_actions: list[str]
    created_at: str
    updated_at: str
    responded_at: str | None
    closed_at: str | None


class SuggestionFactor(TypedDict):
    """openapi.yaml SuggestionFactor."""

    factor: str
    score: float | None
    weight: float
    reason: str


class InvestorSuggestion(TypedDict):
    """openapi.yaml InvestorSuggestions.data[]."""

    investor_profile: InvestorProfile
    score: float
    factors: list[SuggestionFactor]


class TechnologySuggestion(TypedDict):
    """openapi.yaml TechnologySuggestions.data[]."""

    technology: Technology
    score: float
    factors: list[SuggestionFactor]


def _recordal(match: models.Match) -> Recordal | None:
    if not match.recordal_office:
        return None
    return {"office": match.recordal_office, "reference": match.recordal_reference,
            "recorded_on": match.recorded_on.isoformat()}


def _outcome(match: models.Match) -> MatchDealClosed | MatchNoDeal | None:
    if match.status == "deal_closed":
        return {"outcome": "deal_closed", "deal_type": match.deal_type,
                "amount": money(match.amount, match.currency), "signed_on": match.signed_on.isoformat(),
                "recordal": _recordal(match)}
    if match.status == "no_deal":
        return {"outcome": "no_deal", "reason": match.no_deal_reason, "note": match.no_deal_note}
    return None


def _decline(match: models.Match) -> MatchDeclined | None:
    if match.status != "declined":
        return None
    return {"reason": match.decline_reason, "note": match.decline_note}


def match(m: models.Match, *, viewer_id: str, home_country: str) -> Match:
    role = role_of(m, viewer_id)
    tech, profile = m.technology, m.profile
    return {
        "id": m.id,
        "status": m.status,
        "role": role,
        "proposed_by": m.proposed_by,
        "technology": {"id": tech.id, "title": tech.title, "field": tech.field, "status": tech.status,
                       "owner": member_ref(tech.owner, home_country)},
        "investor_profile": {"id": profile.id, "name": profile.name, "active": profile.active,
                             "owner": member_ref(profile.owner, home_country)},
        "message": m.message,
        "decline": _decline(m),
        "outcome": _outcome(m),
        "allowed_actions": allowed_actions(m, role),
        "created_at": rfc3339(m.created_at),
        "updated_at": rfc3339(m.updated_at),
        "responded_at": rfc3339(m.responded_at),
        "closed_at": rfc3339(m.closed_at),
    }


def suggestion_factor(f: Factor) -> SuggestionFactor:
    return {"factor": f.factor, "score": f.score, "weight": f.weight, "reason": f.reason}


def investor_suggestion(s: Suggestion, profile, home_country: str) -> InvestorSuggestion:
    """A profile suggested for a listing (`profile` is the InvestorProfile row `s` scored)."""
    return {"investor_profile": investor_profile(profile, home_country), "score": s.score,
            "factors": [suggestion_factor(f) for f in s.factors]}


def technology_suggestion(s: Suggestion, tech, *, viewer_id: str, home_country: str) -> TechnologySuggestion:
    """A listing suggested for a profile (`tech` is the Technology row `s` scored)."""
    return {"technology": technology(tech, viewer_id=viewer_id, home_country=home_country), "score": s.score,
            "factors": [suggestion_factor(f) for f in s.factors]}
