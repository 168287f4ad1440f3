"""Member request schemas and response representations."""

from __future__ import annotations

import re

from marshmallow import ValidationError, fields, validate, validates_schema

from ..api.schemas import BaseSchema, Country, Email, HttpUrl, ListQuery, Multilingual, Text, rfc3339
from .models import KINDS, Member

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


def public_view(member: Member, home_country: str) -> dict:
    """What every member may see of an active member."""
    return {
        "id": member.id,
        "name": member.name,
        "kind": member.kind,
        "country": member.country,
        "overseas": member.is_overseas(home_country),
        "website": member.website,
        "description": member.description,
        "contact": member.contact,
        "created_at": rfc3339(member.created_at),
    }


def own_view(member: Member, home_country: str) -> dict:
    """A member's own profile: the public view plus what only it and the admins see."""
    data = public_view(member, home_country)
    data.update({"status": member.status, "email": member.email, "updated_at": rfc3339(member.updated_at)})
    return data


def admin_view(member: Member, home_country: str) -> dict:
    """Everything the admin command line prints."""
    data = own_view(member, home_country)
    data["status_reason"] = member.status_reason
    return data

