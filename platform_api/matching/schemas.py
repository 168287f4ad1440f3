"""Match request schemas and the response representation."""

from __future__ import annotations

from marshmallow import ValidationError, validate, validates_schema
from marshmallow import fields as ma

from ..api.schemas import BaseSchema, ListQuery, Money, Text, money_view, rfc3339
from ..db import utcnow
from ..members.representations import member_ref
from ..technologies.models import DEAL_TYPES
from ..technologies.schemas import Office
from .models import DECLINE_REASONS, NO_DEAL_REASONS, ROLES, STATUSES, Match

OUTCOMES = ("deal_closed", "no_deal")


def _one_of(choices):
    return validate.OneOf(choices, error="Must be one of: {choices}.")


class MatchCreateSchema(BaseSchema):
    read_only = ("id", "status", "role", "proposed_by", "technology", "investor_profile", "created_at", "updated_at")

    technology_id = ma.String(required=True, validate=validate.Length(min=1, max=64))
    investor_profile_id = ma.String(required=True, validate=validate.Length(min=1, max=64))
    message = Text(max_length=4000, multiline=True)


class DeclineSchema(BaseSchema):
    reason = ma.String(required=True, validate=_one_of(DECLINE_REASONS))
    note = Text(max_length=2000, multiline=True)


class RecordalSchema(BaseSchema):
    office = Office(required=True)
    reference = Text(max_length=100, required=True)
    recorded_on = ma.Date(required=True)


class CloseSchema(BaseSchema):
    outcome = ma.String(required=True, validate=_one_of(OUTCOMES))
    deal_type = ma.String(validate=_one_of(DEAL_TYPES))
    amount = Money()
    signed_on = ma.Date()
    recordal = ma.Nested(RecordalSchema)
    reason = ma.String(validate=_one_of(NO_DEAL_REASONS))
    note = Text(max_length=2000, multiline=True)

    @validates_schema
    def _by_outcome(self, data, **kwargs):
        errors: dict = {}
        deal = data.get("outcome") == "deal_closed"
        needed = ("deal_type", "amount", "signed_on") if deal else ("reason",)
        refused = ("reason", "note") if deal else ("deal_type", "amount", "signed_on", "recordal")
        for name in needed:
            if name not in data:
                errors[name] = [f"Required when outcome is {data.get('outcome')}."]
        for name in refused:
            if name in data:
                errors[name] = [f"Not allowed when outcome is {data.get('outcome')}."]
        today = utcnow().date()
        signed = data.get("signed_on")
        if signed and signed > today:
            errors["signed_on"] = ["Must not be in the future."]
        recordal = data.get("recordal")
        if recordal:
            if recordal["recorded_on"] > today:
                errors["recordal"] = {"recorded_on": ["Must not be in the future."]}
            elif signed and recordal["recorded_on"] < signed:
                errors["recordal"] = {"recorded_on": ["Must not be before signed_on."]}
        if errors:
            raise ValidationError(errors)


class MatchListQuery(ListQuery):
    status = ma.String(validate=_one_of(STATUSES))
    role = ma.String(validate=_one_of(ROLES))


class SuggestionQuery(BaseSchema):
    limit = ma.Integer(load_default=20, validate=validate.Range(min=1, max=100))


# What each side may do in each status: (action, who) where who is "proposer", "responder" or "either".
ACTIONS = {
    "accept": ("proposed", "responder"),
    "decline": ("proposed", "responder"),
    "withdraw": ("proposed", "proposer"),
    "close": ("accepted", "either"),
}


def role_of(match: Match, member_id: str) -> str:
    return "technology_owner" if match.technology_owner_id == member_id else "investor"


def may(match: Match, role: str, action: str) -> bool:
    """Whether `role` may take `action` on the match in its current status."""
    status, who = ACTIONS[action]
    if match.status != status:
        return False
    proposer = match.proposed_by == role
    return who == "either" or (who == "proposer") == proposer


def allowed_actions(match: Match, role: str) -> list[str]:
    return [action for action in ACTIONS if may(match, role, action)]


def outcome_view(match: Match) -> dict | None:
    if match.status == "deal_closed":
        recordal = None
        if match.recordal_office:
            recordal = {"office": match.recordal_office, "reference": match.recordal_reference,
                        "recorded_on": match.recorded_on.isoformat()}
        return {"outcome": "deal_closed", "deal_type": match.deal_type,
                "amount": money_view(match.amount, match.currency), "signed_on": match.signed_on.isoformat(),
                "recordal": recordal}
    if match.status == "no_deal":
        return {"outcome": "no_deal", "reason": match.no_deal_reason, "note": match.no_deal_note}
    return None


def match_view(match: Match, *, viewer_id: str, home_country: str) -> dict:
    """A match as either side sees it, with what the viewer may do next."""
    role = role_of(match, viewer_id)
    tech, profile = match.technology, match.profile
    decline = None
    if match.status == "declined":
        decline = {"reason": match.decline_reason, "note": match.decline_note}
    return {
        "id": match.id,
        "status": match.status,
        "role": role,
        "proposed_by": match.proposed_by,
        "technology": {"id": tech.id, "title": tech.title, "field": tech.field, "status": tech.status,
                       "owner": member_ref(tech.owner, home_country)},
        "investor_profile": {"id": profile.id, "name": profile.name, "active": profile.active,
                             "owner": member_ref(profile.owner, home_country)},
        "message": match.message,
        "decline": decline,
        "outcome": outcome_view(match),
        "allowed_actions": allowed_actions(match, role),
        "created_at": rfc3339(match.created_at),
        "updated_at": rfc3339(match.updated_at),
        "responded_at": rfc3339(match.responded_at),
        "closed_at": rfc3339(match.closed_at),
    }
