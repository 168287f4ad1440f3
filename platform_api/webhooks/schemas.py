"""Request bodies and query strings of /v1/webhook-endpoints; the URL's safety is checked in services."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate

from ..api.schemas import BaseSchema, ListQuery, Text
from ..events.schemas import check_type_pattern
from .models import STATUSES
from .urls import MAX_URL

MAX_EVENT_TYPES = 32


class StrictBoolean(fields.Boolean):
    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise ValidationError("Must be true or false.")
        return value


class EventTypePattern(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        check_type_pattern(value)
        return value


def _distinct(values: list) -> None:
    if len(set(values)) != len(values):
        raise ValidationError("Give each event type once.")


class _Fields(BaseSchema):
    read_only = ("id", "disabled_reason", "created_at", "updated_at", "secret")

    url = fields.String(validate=validate.Length(min=1, max=MAX_URL))
    event_types = fields.List(EventTypePattern(), validate=[validate.Length(min=1, max=MAX_EVENT_TYPES), _distinct])
    description = Text(max_length=500, allow_none=True)
    enabled = StrictBoolean()


class WebhookEndpointCreateSchema(_Fields):
    url = fields.String(required=True, validate=validate.Length(min=1, max=MAX_URL))
    event_types = fields.List(EventTypePattern(), required=True,
                              validate=[validate.Length(min=1, max=MAX_EVENT_TYPES), _distinct])


class WebhookEndpointUpdateSchema(_Fields):
    pass


class DeliveryListQuery(ListQuery):
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES, error="Must be one of: {choices}."))
