"""Base schema and field types shared by every feature's schemas."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pycountry
from marshmallow import RAISE, Schema, ValidationError, fields, validate

# Control characters other than tab, newline and carriage return are refused in text: NUL in
# particular cannot be stored in PostgreSQL text and has no business in a listing.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$")


class BaseSchema(Schema):
    """Rejects unknown fields; `read_only` names fields callers may see but never set."""

    read_only: tuple[str, ...] = ()

    class Meta:
        unknown = RAISE


class Text(fields.String):
    """Human text: bounded, no control characters, not blank."""

    def __init__(self, *, max_length: int, min_length: int = 1, multiline: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.max_length = max_length
        self.min_length = min_length
        self.multiline = multiline

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if _CONTROL.search(value) or (not self.multiline and ("\n" in value or "\r" in value)):
            raise ValidationError("Must not contain control characters.")
        if len(value.strip()) < self.min_length:
            raise ValidationError("Must not be blank." if self.min_length == 1 else f"Must be at least {self.min_length} characters.")
        if len(value) > self.max_length:
            raise ValidationError(f"Must be at most {self.max_length} characters.")
        return value


class Country(fields.String):
    """ISO 3166-1 alpha-2 country code, upper case."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if not is_country(value):
            raise ValidationError("Must be an ISO 3166-1 alpha-2 country code in upper case, such as CN or DE.")
        return value


def is_country(value: str) -> bool:
    return (
        isinstance(value, str)
        and len(value) == 2
        and value.isupper()
        and pycountry.countries.get(alpha_2=value) is not None
    )


def is_language_tag(value: str) -> bool:
    if not isinstance(value, str) or not _LANG.match(value):
        return False
    primary = value.split("-")[0]
    if len(primary) == 2:
        return pycountry.languages.get(alpha_2=primary) is not None
    return pycountry.languages.get(alpha_3=primary) is not None


class Multilingual(fields.Field):
    """Text in several languages: {"en": "...", "zh": "..."}, at least one entry."""

    def __init__(self, *, max_length: int, max_languages: int = 20, multiline: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.text = Text(max_length=max_length, multiline=multiline)
        self.max_languages = max_languages

    def _serialize(self, value, attr, obj, **kwargs):
        return value

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, dict):
            raise ValidationError('Must be an object keyed by language tag, such as {"en": "...", "zh": "..."}.')
        if not value:
            raise ValidationError("Must contain at least one language.")
        if len(value) > self.max_languages:
            raise ValidationError(f"At most {self.max_languages} languages.")
        errors, out = {}, {}
        for lang, text in value.items():
            if not is_language_tag(lang):
                errors[lang] = ["Not a language tag (use en, zh, fr, de, ja, zh-Hant...)."]
                continue
            try:
                out[lang] = self.text.deserialize(text)
            except ValidationError as exc:
                errors[lang] = exc.messages
        if errors:
            raise ValidationError(errors)
        return out


class HttpUrl(fields.String):
    """An absolute http(s) URL."""

    def __init__(self, *, max_length: int = 2048, **kwargs):
        super().__init__(**kwargs)
        self.max_length = max_length

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        if len(value) > self.max_length:
            raise ValidationError(f"Must be at most {self.max_length} characters.")
        if not is_http_url(value):
            raise ValidationError("Must be an absolute http or https URL.")
        return value


def is_http_url(value: str) -> bool:
    if not isinstance(value, str) or _CONTROL.search(value) or " " in value:
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


class Email(fields.Email):
    def __init__(self, **kwargs):
        super().__init__(validate=validate.Length(max=254), **kwargs)


CURSOR_MAX_LENGTH = 1024
CURSOR_PATTERN = re.compile(r"^[A-Za-z0-9_.-]+$")


class ListQuery(BaseSchema):
    """Query parameters every collection takes."""

    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    # Cursors are what pagination.py makes (itsdangerous, URL-safe base64 and dots), a few hundred
    # characters: anything else is refused here (400, errors[].parameter "cursor"), and the bound
    # keeps every documented query string inside the front server's request line (openapi.yaml).
    cursor = fields.String(
        load_default=None,
        validate=[
            validate.Length(min=1, max=CURSOR_MAX_LENGTH),
            validate.Regexp(CURSOR_PATTERN, error="This cursor is invalid here."),
        ],
    )


def rfc3339(value) -> str | None:
    """UTC timestamp as RFC 3339 with a Z, millisecond precision."""
    if value is None:
        return None
    from datetime import timezone

    return value.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


_AMOUNT = re.compile(r"^(0|[1-9][0-9]{0,14})(\.[0-9]{1,2})?$")


def is_currency(value: str) -> bool:
    return isinstance(value, str) and len(value) == 3 and value.isupper() and pycountry.currencies.get(alpha_3=value) is not None


class Money(fields.Field):
    """{"amount": "1250000.00", "currency": "EUR"}: a decimal string (never a float) and ISO 4217."""

    def _serialize(self, value, attr, obj, **kwargs):
        return value

    def _deserialize(self, value, attr, data, **kwargs):
        from decimal import Decimal

        if not isinstance(value, dict):
            raise ValidationError('Must be an object such as {"amount": "1500000.00", "currency": "CNY"}.')
        errors = {}
        unknown = set(value) - {"amount", "currency"}
        for key in unknown:
            errors[key] = ["Unknown field."]
        amount, currency = value.get("amount"), value.get("currency")
        if amount is None:
            errors["amount"] = ["Missing data for required field."]
        elif not isinstance(amount, str) or not _AMOUNT.match(amount):
            errors["amount"] = ['Must be a decimal string with at most 2 decimals, such as "1500000.00" (not a number).']
        elif Decimal(amount) <= 0:
            errors["amount"] = ["Must be greater than zero."]
        if currency is None:
            errors["currency"] = ["Missing data for required field."]
        elif not is_currency(currency):
            errors["currency"] = ["Must be an ISO 4217 currency code such as CNY, EUR or USD."]
        if errors:
            raise ValidationError(errors)
        return {"amount": Decimal(amount), "currency": currency}
