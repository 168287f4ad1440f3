"""Investor profile request and query schemas; the response is in representations.py."""

from __future__ import annotations

from marshmallow import ValidationError, validate, validates_schema
from marshmallow import fields as ma

from ..api.schemas import BaseSchema, Country, ListQuery, Money, Multilingual, Text
from ..technologies.models import DEAL_TYPES, FIELDS

MEMBER_ID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


class StrictBoolean(ma.Boolean):
    """JSON true or false only (marshmallow would take 1, "yes", "on"...)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise ValidationError("Must be true or false.")
        return value


def _choice_list(choices, *, min_items: int, what: str, **kwargs):
    return ma.List(
        ma.String(validate=validate.OneOf(choices, error="Must be one of: {choices}.")),
        validate=validate.Length(min=min_items, max=len(choices), error=f"Give between {{min}} and {{max}} {what}."),
        **kwargs,
    )


class ProfileBaseSchema(BaseSchema):
    read_only = ("id", "owner", "created_at", "updated_at")

    name = Text(max_length=200)
    description = Multilingual(max_length=5000, multiline=True, allow_none=True)
    # "fields" would shadow Schema.fields: the attribute has another name, the JSON key is "fields".
    field_list = _choice_list(FIELDS, min_items=1, what="fields", data_key="fields")
    trl_min = ma.Integer(strict=True, validate=validate.Range(min=1, max=9, error="Must be a TRL from 1 to 9."))
    trl_max = ma.Integer(strict=True, validate=validate.Range(min=1, max=9, error="Must be a TRL from 1 to 9."))
    ticket_min = Money()
    ticket_max = Money()
    countries = ma.List(Country(), validate=validate.Length(max=250))
    deal_types = _choice_list(DEAL_TYPES, min_items=1, what="deal types")
    keywords = ma.List(Text(max_length=60), validate=validate.Length(max=30))
    active = StrictBoolean()

    @validates_schema
    def _no_duplicates(self, data, **kwargs):
        errors = {}
        for name, key in (("field_list", "fields"), ("countries", "countries"), ("deal_types", "deal_types"),
                          ("keywords", "keywords")):
            values = [v.casefold() for v in data.get(name) or []]
            if len(values) != len(set(values)):
                errors[key] = ["Must not repeat a value."]
        if errors:
            raise ValidationError(errors)


REQUIRED_ON_CREATE = ("name", "field_list", "trl_min", "trl_max", "ticket_min", "ticket_max", "deal_types")


class ProfileCreateSchema(ProfileBaseSchema):
    def on_bind_field(self, field_name, field_obj):
        if field_name in REQUIRED_ON_CREATE:
            field_obj.required = True


class ProfilePatchSchema(ProfileBaseSchema):
    @validates_schema
    def _not_empty(self, data, **kwargs):
        if not data:
            raise ValidationError("Give at least one field to change.")


def range_errors(trl_min: int, trl_max: int, ticket_min: dict, ticket_max: dict, given=()) -> list[dict]:
    """JSON-pointer errors of a profile's ranges, checked on the whole profile after a change.

    Each error points at a field the request gave (`given`), so that a patch of trl_max alone
    that falls below the stored trl_min is blamed on trl_max.
    """
    errors = []
    if trl_min > trl_max:
        if "trl_min" in given or "trl_max" not in given:
            errors.append({"pointer": "/trl_min", "detail": f"Must not be greater than trl_max ({trl_max})."})
        else:
            errors.append({"pointer": "/trl_max", "detail": f"Must not be less than trl_min ({trl_min})."})
    blame_max = "ticket_max" in given or "ticket_min" not in given
    if ticket_min["currency"] != ticket_max["currency"]:
        if blame_max:
            errors.append({"pointer": "/ticket_max/currency",
                           "detail": f"Must be the currency of ticket_min ({ticket_min['currency']})."})
        else:
            errors.append({"pointer": "/ticket_min/currency",
                           "detail": f"Must be the currency of ticket_max ({ticket_max['currency']})."})
    elif ticket_min["amount"] > ticket_max["amount"]:
        if "ticket_min" in given or not blame_max:
            errors.append({"pointer": "/ticket_min/amount",
                           "detail": f"Must not be greater than ticket_max ({ticket_max['amount']:.2f})."})
        else:
            errors.append({"pointer": "/ticket_max/amount",
                           "detail": f"Must not be less than ticket_min ({ticket_min['amount']:.2f})."})
    return errors


class ProfileListQuery(ListQuery):
    field = ma.String(validate=validate.OneOf(FIELDS, error="Must be one of: {choices}."))
    deal_type = ma.String(validate=validate.OneOf(DEAL_TYPES, error="Must be one of: {choices}."))
    country = Country()
    active = ma.Boolean(truthy={"true", "1"}, falsy={"false", "0"})
    owner = ma.String(validate=validate.Regexp(MEMBER_ID, error="Must be a member ID."))
    mine = ma.Boolean(truthy={"true", "1"}, falsy={"false", "0"})
