"""Query strings of the event stream."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validates

from ..api.schemas import ListQuery
from .models import TYPES

_PREFIXES = sorted({t.split(".", 1)[0] for t in TYPES})


def check_type_pattern(value: str) -> None:
    """An event type (`match.accepted`), all of one object's (`match.*`), or every one (`*`)."""
    if value == "*" or value in TYPES:
        return
    if value.endswith(".*") and value[:-2] in _PREFIXES:
        return
    raise ValidationError(
        f"Unknown event type '{value[:80]}': give a type (e.g. match.accepted), a prefix with .* "
        f"({', '.join(p + '.*' for p in _PREFIXES)}) or *."
    )


def type_matches(pattern: str, event_type: str) -> bool:
    if pattern == "*":
        return True
    if pattern.endswith(".*"):
        return event_type.startswith(pattern[:-1])
    return event_type == pattern


class EventListQuery(ListQuery):
    type = fields.String(load_default=None)
    created_after = fields.AwareDateTime(load_default=None, format="iso")
    after = fields.String(load_default=None)

    @validates("type")
    def _type(self, value, **_kwargs):
        if value is not None:
            check_type_pattern(value)
