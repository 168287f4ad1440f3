"""Referral request schemas (the referral, each event type) and the list query; responses are in
representations.py."""

from __future__ import annotations

from datetime import timezone

from marshmallow import ValidationError, fields, validate, validates_schema

from ..api.schemas import BaseSchema, Country, ListQuery, Money, Text, is_language_tag, rfc3339
from ..technologies.models import IP_KINDS
from . import rules
from .models import BASES, DISPUTE_TYPES, OUTCOMES, PROCEDURES, ROLES, STATUSES

NEUTRAL_ROLES = ("mediator", "co_mediator", "sole_arbitrator", "presiding_arbitrator", "co_arbitrator", "expert")
_ONE_OF = "Must be one of: {choices}."


def _choice(values, **kwargs):
    return fields.String(validate=validate.OneOf(values, error=_ONE_OF), **kwargs)


class LanguageTag(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if not is_language_tag(value):
            raise ValidationError("Must be a language tag such as en, zh, fr or zh-Hant.")
        return value


class StrictBoolean(fields.Boolean):
    """JSON true or false only (not 1, "yes"...)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise ValidationError("Must be true or false.")
        return value


class CourtSchema(BaseSchema):
    name = Text(max_length=300, required=True)
    case_number = Text(max_length=100, required=True)


class RespondentSchema(BaseSchema):
    """A member (`member_id`) or an outside party (`name` and `country`): exactly one form."""

    member_id = fields.String(validate=validate.Length(min=1, max=64))
    name = Text(max_length=200)
    country = Country()

    @validates_schema
    def _one_form(self, data, **kwargs):
        if "member_id" in data:
            extra = [k for k in ("name", "country") if k in data]
            if extra:
                raise ValidationError({k: ["Give either member_id, or name and country; not both."] for k in extra})
        else:
            missing = {k: ["Missing data for required field."] for k in ("name", "country") if k not in data}
            if len(missing) == 2:
                raise ValidationError("Give member_id for a member, or name and country for an outside party.")
            if missing:
                raise ValidationError(missing)


class ReferralCreateSchema(BaseSchema):
    read_only = ("id", "reference", "claimant", "institution", "status", "outcome", "role", "allowed_events",
                 "created_at", "updated_at")

    procedure = _choice(PROCEDURES, required=True)
    basis = _choice(BASES, required=True)
    court = fields.Nested(CourtSchema, load_default=None, allow_none=True)
    dispute_type = _choice(DISPUTE_TYPES, required=True)
    ip_kinds = fields.List(
        _choice(IP_KINDS), required=True,
        validate=validate.Length(min=1, max=len(IP_KINDS), error="Give between {min} and {max} kinds of IP right."),
    )
    institution_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    respondent = fields.Nested(RespondentSchema, required=True)
    technology_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=64))
    match_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=64))
    amount_in_dispute = Money(load_default=None, allow_none=True)
    language = LanguageTag(required=True)
    seat = Text(max_length=200, load_default=None, allow_none=True)
    governing_law = Text(max_length=200, load_default=None, allow_none=True)
    summary = Text(max_length=10000, multiline=True, required=True)
    requested_relief = Text(max_length=5000, multiline=True, load_default=None, allow_none=True)

    @validates_schema
    def _consistent(self, data, **kwargs):
        errors = {}
        if data.get("basis") == "court_referral" and not data.get("court"):
            errors["court"] = ["A court referral needs the court's name and case number."]
        elif data.get("basis") and data.get("basis") != "court_referral" and data.get("court"):
            errors["court"] = ["Only a court referral names a court (basis court_referral)."]
        kinds = data.get("ip_kinds") or []
        if len(kinds) != len(set(kinds)):
            errors["ip_kinds"] = ["Must not repeat a value."]
        if errors:
            raise ValidationError(errors)


class ReferralListQuery(ListQuery):
    role = _choice(ROLES)
    status = _choice(STATUSES)
    procedure = _choice(PROCEDURES)


# --- events ---------------------------------------------------------------------------------

_NOTE = dict(max_length=4000, multiline=True)


class _EventSchema(BaseSchema):
    type = fields.String(required=True)


class AcknowledgedEvent(_EventSchema):
    case_number = Text(max_length=100, load_default=None, allow_none=True)
    note = Text(**_NOTE, load_default=None, allow_none=True)


class DeclinedEvent(_EventSchema):
    reason = Text(**_NOTE, required=True)


class NeutralSchema(BaseSchema):
    name = Text(max_length=200, required=True)
    role = _choice(NEUTRAL_ROLES, required=True)


class NeutralAppointedEvent(_EventSchema):
    neutral = fields.Nested(NeutralSchema, required=True)
    note = Text(**_NOTE, load_default=None, allow_none=True)


class HearingScheduledEvent(_EventSchema):
    starts_at = fields.AwareDateTime(required=True, format="iso")
    place = Text(max_length=300, load_default=None, allow_none=True)
    online = StrictBoolean(load_default=False)
    note = Text(**_NOTE, load_default=None, allow_none=True)

    @validates_schema
    def _where(self, data, **kwargs):
        starts = data.get("starts_at")
        if starts is not None and not 2000 <= starts.astimezone(timezone.utc).year <= 2100:
            raise ValidationError({"starts_at": ["Must be a date between the years 2000 and 2100."]})
        if not data.get("online") and not data.get("place"):
            raise ValidationError({"place": ["Give the place of the hearing, or online: true."]})


class ClosedEvent(_EventSchema):
    outcome = fields.String(required=True)
    note = Text(**_NOTE, load_default=None, allow_none=True)

    @validates_schema
    def _outcome(self, data, **kwargs):
        outcome = data.get("outcome")
        if outcome == "withdrawn":
            raise ValidationError({"outcome": ["Only the claimant withdraws a referral, with a 'withdrawn' event."]})
        if outcome is not None and outcome not in OUTCOMES:
            choices = ", ".join(o for o in OUTCOMES if o != "withdrawn")
            raise ValidationError({"outcome": [f"Must be one of: {choices}."]})


class WithdrawnEvent(_EventSchema):
    reason = Text(**_NOTE, load_default=None, allow_none=True)


class NoteEvent(_EventSchema):
    text = Text(**_NOTE, required=True)


EVENT_SCHEMAS = {
    "acknowledged": AcknowledgedEvent,
    "declined": DeclinedEvent,
    "neutral_appointed": NeutralAppointedEvent,
    "hearing_scheduled": HearingScheduledEvent,
    "closed": ClosedEvent,
    "withdrawn": WithdrawnEvent,
    "note": NoteEvent,
}
assert set(EVENT_SCHEMAS) == set(rules.POSTABLE)


def event_content(event_type: str, data: dict) -> dict:
    """The stored (and hashed) content of a validated event: every field, absent ones null."""
    content = {k: v for k, v in data.items() if k != "type"}
    if event_type == "hearing_scheduled":
        content["starts_at"] = rfc3339(content["starts_at"])
    return content
