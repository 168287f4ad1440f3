"""Technology listing request and query schemas; responses are in representations.py."""

from __future__ import annotations

import re

from marshmallow import ValidationError, fields, validate, validates_schema

from ..api.schemas import BaseSchema, Country, ListQuery, Money, Multilingual, Text, is_currency
from .models import DEAL_TYPES, FIELDS, IP_KINDS, IP_STATUSES, STATUSES

# IPC symbol: section, class, subclass, main group / subgroup, e.g. "A61K 31/00", "H01M 10/0525".
_IPC = re.compile(r"^([A-H])\s*(\d{2})\s*([A-Z])\s*(\d{1,4})\s*/\s*(\d{2,6})$")
# WIPO ST.3 codes of regional offices, on top of the ISO 3166 country codes.
REGIONAL_OFFICES = {"EP", "WO", "EM", "EA", "AP", "OA", "GC", "IB", "XN", "XV", "XX", "EU"}
# Application or registration numbers, loosely: the shapes each big office uses, else a generic one.
_NUMBERS = {
    "CN": re.compile(r"^(CN|ZL)?\s?\d{8,13}(\.\d|[A-Z]\d?)?$"),
    "US": re.compile(r"^(US)?\s?(\d{1,2}/)?[\d,]{6,11}(\s?[A-Z]\d?)?$|^(US)?\s?(RE|D|PP)[\d,]{5,8}$"),
    "EP": re.compile(r"^(EP)?\s?\d{7,8}(\.\d)?(\s?[A-Z]\d?)?$"),
    "WO": re.compile(r"^(WO|PCT/)?\s?([A-Z]{2})?\d{2,4}/?\d{5,6}(\s?[A-Z]\d?)?$"),
    "JP": re.compile(r"^(JP)?\s?[\d-]{6,14}(\s?[A-Z]\d?)?$"),
    "KR": re.compile(r"^(KR)?\s?[\d-]{6,16}(\s?[A-Z]\d?)?$"),
    "DE": re.compile(r"^(DE)?\s?\d{6,14}(\.\d)?(\s?[A-Z]\d?)?$"),
}
_GENERIC_NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9 ./,-]{2,39}$")


def normalize_ipc(value: str) -> str | None:
    m = _IPC.match(value.strip().upper()) if isinstance(value, str) else None
    if not m:
        return None
    section, cls, subclass, group, subgroup = m.groups()
    return f"{section}{cls}{subclass} {int(group)}/{subgroup}"


def is_office(value: str) -> bool:
    from ..api.schemas import is_country

    return value in REGIONAL_OFFICES or is_country(value)


class IpcSymbol(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        normal = normalize_ipc(value)
        if normal is None:
            raise ValidationError("Must be an IPC symbol such as A61K 31/00 or H01M 10/0525.")
        return normal


class Office(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if not is_office(value):
            raise ValidationError("Must be a WIPO ST.3 office code such as CN, EP, US, WO or JP.")
        return value


class IpRightSchema(BaseSchema):
    kind = fields.String(required=True, validate=validate.OneOf(IP_KINDS, error="Must be one of: {choices}."))
    number = Text(max_length=40, required=True)
    office = Office(required=True)
    status = fields.String(required=True, validate=validate.OneOf(IP_STATUSES, error="Must be one of: {choices}."))
    filed_on = fields.Date(load_default=None, allow_none=True)
    expires_on = fields.Date(load_default=None, allow_none=True)

    @validates_schema
    def _consistent(self, data, **kwargs):
        errors = {}
        number, office = data.get("number"), data.get("office")
        if number and office:
            pattern = _NUMBERS.get(office, _GENERIC_NUMBER)
            if not pattern.match(number.strip().upper()) or not any(ch.isdigit() for ch in number):
                errors["number"] = [f"Does not look like a {office} application or registration number."]
        filed, expires = data.get("filed_on"), data.get("expires_on")
        if filed and expires and expires < filed:
            errors["expires_on"] = ["Must not be before filed_on."]
        if errors:
            raise ValidationError(errors)


def _unique(values) -> bool:
    return len(values) == len(set(values))


class TechnologyBaseSchema(BaseSchema):
    read_only = ("id", "owner", "status", "review_note", "created_at", "updated_at", "submitted_at",
                 "published_at", "allowed_actions")

    title = Multilingual(max_length=300)
    summary = Multilingual(max_length=8000, multiline=True)
    keywords = fields.List(Text(max_length=60), validate=validate.Length(max=30))
    field = fields.String(validate=validate.OneOf(FIELDS, error="Must be one of: {choices}."))
    ipc = fields.List(IpcSymbol(), validate=validate.Length(max=20))
    trl = fields.Integer(strict=True, validate=validate.Range(min=1, max=9, error="Must be a TRL from 1 to 9."))
    ip_rights = fields.List(fields.Nested(IpRightSchema), validate=validate.Length(max=50))
    deal_types = fields.List(
        fields.String(validate=validate.OneOf(DEAL_TYPES, error="Must be one of: {choices}.")),
        validate=validate.Length(min=1, max=len(DEAL_TYPES), error="Give between {min} and {max} deal types."),
    )
    asking_price = Money(allow_none=True)
    origin_country = Country()
    countries_available = fields.List(Country(), validate=validate.Length(max=250))

    @validates_schema
    def _no_duplicates(self, data, **kwargs):
        errors = {}
        for name in ("keywords", "ipc", "deal_types", "countries_available"):
            if name in data and not _unique([v.lower() if isinstance(v, str) else v for v in data[name]]):
                errors[name] = ["Must not repeat a value."]
        if errors:
            raise ValidationError(errors)


REQUIRED_ON_CREATE = ("title", "summary", "field", "trl", "deal_types", "origin_country")


class TechnologyCreateSchema(TechnologyBaseSchema):
    def on_bind_field(self, field_name, field_obj):
        if field_name in REQUIRED_ON_CREATE:
            field_obj.required = True


class TechnologyPatchSchema(TechnologyBaseSchema):
    @validates_schema
    def _not_empty(self, data, **kwargs):
        if not data:
            raise ValidationError("Give at least one field to change.")


class TechnologyListQuery(ListQuery):
    q = Text(max_length=200)
    field = fields.String(validate=validate.OneOf(FIELDS, error="Must be one of: {choices}."))
    trl_min = fields.Integer(validate=validate.Range(min=1, max=9))
    trl_max = fields.Integer(validate=validate.Range(min=1, max=9))
    deal_type = fields.String(validate=validate.OneOf(DEAL_TYPES, error="Must be one of: {choices}."))
    office = Office()
    country = Country()
    owner = fields.String(validate=validate.Regexp(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", error="Must be a member ID."))
    status = fields.String(validate=validate.OneOf(STATUSES, error="Must be one of: {choices}."))
    mine = fields.Boolean(truthy={"true", "1"}, falsy={"false", "0"})
    price_max = fields.String()
    currency = fields.String()
    sort = fields.String(validate=validate.OneOf(("relevance", "newest"), error="Must be relevance or newest."))

    @validates_schema
    def _consistent(self, data, **kwargs):
        from decimal import Decimal, InvalidOperation

        errors = {}
        if data.get("trl_min") and data.get("trl_max") and data["trl_min"] > data["trl_max"]:
            errors["trl_min"] = ["Must not be greater than trl_max."]
        if "price_max" in data:
            try:
                value = Decimal(data["price_max"])
                if not value.is_finite() or value <= 0 or value > Decimal("1e15"):
                    raise InvalidOperation
            except InvalidOperation:
                errors["price_max"] = ["Must be a positive decimal number."]
            if "currency" not in data:
                errors["currency"] = ["Give the currency of price_max."]
        if "currency" in data and not is_currency(data["currency"]):
            errors["currency"] = ["Must be an ISO 4217 currency code such as CNY, EUR or USD."]
        if "currency" in data and "price_max" not in data:
            errors["price_max"] = ["currency goes with price_max."]
        if data.get("sort") == "relevance" and not data.get("q"):
            errors["sort"] = ["Sorting by relevance needs a text query q."]
        if errors:
            raise ValidationError(errors)
