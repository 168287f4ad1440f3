"""Reading request bodies and query strings into validated data."""

from __future__ import annotations

import json

from flask import request
from marshmallow import Schema, ValidationError

from ..errors import BadRequest, InvalidParameter, UnsupportedMediaType, pointer_errors
from ..exceptions import Invalid

MAX_DEPTH = 32


def _depth(value, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


def json_body() -> dict:
    """The request's JSON object, or a clear 400/413/415."""
    if request.mimetype != "application/json":
        raise UnsupportedMediaType(
            f"Send the body as application/json (got {request.mimetype or 'no content type'})."
        )
    raw = request.get_data(cache=True)  # raises 413 past MAX_CONTENT_LENGTH
    if not raw.strip():
        raise BadRequest("The request body is empty; send a JSON object.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("The request body is not valid UTF-8.") from None
    try:
        data = json.loads(text)
    except RecursionError:
        raise BadRequest(f"The JSON body is nested deeper than {MAX_DEPTH} levels.") from None
    except ValueError as exc:
        raise BadRequest(f"The request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}.") from None
    if not isinstance(data, dict):
        raise BadRequest("The request body must be a JSON object.")
    try:
        # A lone \ud800-\udfff escape is valid JSON but no Unicode text: it can be neither
        # stored nor sent back as UTF-8. Refused here, once, for every endpoint.
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise BadRequest("The request body holds an unpaired UTF-16 surrogate escape (\\ud800-\\udfff).") from None
    if _depth(data) > MAX_DEPTH:
        raise BadRequest(f"The JSON body is nested deeper than {MAX_DEPTH} levels.")
    return data


def load(schema: Schema, data: dict, *, partial: bool = False) -> dict:
    """Validate a body with a schema; errors become 422 with JSON pointers."""
    try:
        return schema.load(data, partial=partial)
    except ValidationError as exc:
        errors = pointer_errors(exc.messages)
        read_only = set(getattr(schema, "read_only", ()))
        for err in errors:
            top = err["pointer"].split("/")[1] if err["pointer"].count("/") == 1 else None
            if top in read_only and err["detail"] == "Unknown field.":
                err["detail"] = "Read-only field: it cannot be set by the caller."
        raise Invalid(errors) from None


_QUERY_SCHEMAS: dict[type, Schema] = {}


def query(schema_class: type[Schema]) -> dict:
    """Validate the query string; unknown or malformed parameters are 400.

    One instance per query schema class, reused: building a marshmallow schema costs more than
    loading a query string with it, and query schemas keep no state between loads.
    """
    schema = _QUERY_SCHEMAS.get(schema_class)
    if schema is None:
        schema = _QUERY_SCHEMAS[schema_class] = schema_class()
    args = {}
    for key in request.args:
        values = request.args.getlist(key)
        if len(values) > 1:
            raise InvalidParameter(key, "Give this parameter once.")
        args[key] = values[0]
    try:
        return schema.load(args)
    except ValidationError as exc:
        errors = []
        for err in pointer_errors(exc.messages):
            name = err["pointer"].lstrip("/").split("/")[0]
            detail = "Unknown query parameter." if err["detail"] == "Unknown field." else err["detail"]
            errors.append({"parameter": name, "detail": detail})
        first = errors[0]
        raise InvalidParameter(first["parameter"], first["detail"]) if len(errors) == 1 else _many(errors) from None


def _many(errors):
    exc = InvalidParameter(errors[0]["parameter"], errors[0]["detail"])
    exc.errors = errors
    exc.detail = "; ".join(f"{e['parameter']}: {e['detail']}" for e in errors)
    return exc
