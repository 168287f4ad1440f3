"""Member request schemas (what callers and admins send); responses are in representations.py."""

from __future__ import annotations

import re

from marshmallow import ValidationError, fields, validate, validates_schema

from ..api.schemas import BaseSchema, Country, Email, HttpUrl, ListQuery, Multilingual, Text
from .models import KINDS

_PHONE = re.compile(r"^\+?[0-9 ()./-]{3,40}$")


class ContactSchema(BaseSchema):
    name = Text(max_length=200)
    email = Email()
    phone = fields.String(validate=validate.Regexp(_PHONE, error="Must be a phone number such as +86 10 1234 5678."))

    @validates_schema
    def _not_empty(self, data, **kwargs):
        if not data:
            raise ValidationError("Give at least one of name, email, phone.")


class MemberCreateSchema(BaseSchema):
    """What an admin gives to add a member (command line and CSV import)."""

    name = Text(max_length=200, required=True)
    kind = fields.String(required=True, validate=validate.OneOf(KINDS, error="Must be one of: {choices}."))
    country = Country(required=True)
    email = Email(load_default=None, allow_none=True)
    website = HttpUrl(load_default=None, allow_none=True)


class MemberPatchSchema(BaseSchema):
    """What a member may change in its own profile."""

    read_only = ("id", "name", "kind", "country", "overseas", "status", "email", "created_at", "updated_at")

    description = Multilingual(max_length=5000, multiline=True, allow_none=True)
    website = HttpUrl(allow_none=True)
    contact = fields.Nested(ContactSchema, allow_none=True)

    @validates_schema
    def _not_empty(self, data, **kwargs):
        if not data:
            raise ValidationError("Give at least one field to change: description, website or contact.")


class MemberListQuery(ListQuery):
    kind = fields.String(validate=validate.OneOf(KINDS, error="Must be one of: {choices}."))
    country = Country()
    q = Text(max_length=100)
