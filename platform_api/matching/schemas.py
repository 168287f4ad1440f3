"""Match request and query schemas; the responses are in representations.py."""

from __future__ import annotations

from marshmallow import ValidationError, validate, validates_schema
from marshmallow import fields as ma

from ..api.schemas import BaseSchema, ListQuery, Money, Text
from ..db import utcnow
from ..technologies.models import DEAL_TYPES
from ..technologies.schemas import Office
from .models import DECLINE_REASONS, NO_DEAL_REASONS, ROLES, STATUSES

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
