"""openapi.yaml read at test time: every operation, what it takes, and bodies it should accept.

The hostile-input tests iterate over what this module finds, so an operation added to the
spec is covered without touching the tests.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path

import yaml

SPEC_PATH = Path(__file__).resolve().parents[2] / "openapi.yaml"
METHODS = ("get", "post", "put", "patch", "delete")


@cache
def document() -> dict:
    return yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))


def deref(node, _seen=()):
    """Follow a local $ref (once per level); anything else is returned as it is."""
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/") or ref in _seen:
            return {}
        _seen = (*_seen, ref)
        target = document()
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        extra = {k: v for k, v in node.items() if k != "$ref"}
        node = {**target, **extra} if extra else target
    return node


@dataclass(frozen=True)
class Param:
    name: str
    location: str
    schema: dict
    required: bool


@dataclass
class Operation:
    method: str
    path: str
    operation_id: str
    params: list[Param]
    scopes: tuple[str, ...]
    media_type: str | None = None
    body_schema: dict | None = None
    examples: list = field(default_factory=list)
    body_required: bool = False

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path}"

    @property
    def id(self) -> str:
        return self.operation_id

    @property
    def path_params(self) -> list[Param]:
        return [p for p in self.params if p.location == "path"]

    @property
    def query_params(self) -> list[Param]:
        return [p for p in self.params if p.location == "query"]

    def header(self, name: str) -> Param | None:
        return next((p for p in self.params if p.location == "header" and p.name.lower() == name.lower()), None)

    @property
    def rsplit_parent(self) -> str:
        return self.path.rsplit("/", 1)[0]

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/v1/") or self.path == "/v1"

    @property
    def json_body(self) -> bool:
        return self.media_type == "application/json"

    @property
    def is_list(self) -> bool:
        return self.method == "get" and any(p.name == "cursor" for p in self.query_params)


@cache
def operations() -> tuple[Operation, ...]:
    out = []
    for path, item in document().get("paths", {}).items():
        shared = [deref(p) for p in item.get("parameters", [])]
        for method in METHODS:
            op = item.get(method)
            if not op:
                continue
            params = {(p["name"], p["in"]): p for p in shared}
            params.update({(p["name"], p["in"]): p for p in (deref(x) for x in op.get("parameters", []))})
            scopes: tuple[str, ...] = ()
            for requirement in op.get("security", []) or []:
                scopes += tuple(requirement.get("oauth2", []))
            operation = Operation(
                method=method,
                path=path,
                operation_id=op.get("operationId", f"{method} {path}"),
                params=[
                    Param(p["name"], p["in"], deref(p.get("schema", {})), bool(p.get("required")))
                    for p in params.values()
                ],
                scopes=scopes,
            )
            body = deref(op.get("requestBody")) if op.get("requestBody") else None
            if body:
                media_type, content = next(iter(body.get("content", {}).items()))
                operation.media_type = media_type
                operation.body_schema = deref(content.get("schema", {}))
                operation.body_required = bool(body.get("required"))
                examples = [deref(e).get("value") for e in (content.get("examples") or {}).values()]
                if "example" in content:
                    examples.insert(0, content["example"])
                operation.examples = [e for e in examples if e is not None]
            out.append(operation)
    return tuple(out)


def find(method: str, path: str) -> Operation | None:
    return next((o for o in operations() if o.method == method and o.path == path), None)


# --- schemas ---------------------------------------------------------------------------------


def variants(schema) -> list[dict]:
    """The schema and every schema it combines (allOf, oneOf, anyOf), dereferenced."""
    schema = deref(schema)
    if not isinstance(schema, dict):
        return []
    out = [schema]
    for key in ("allOf", "oneOf", "anyOf"):
        for sub in schema.get(key, []):
            out.extend(variants(sub))
    return out


def types_of(schema: dict) -> set[str]:
    t = schema.get("type")
    if isinstance(t, list):
        return set(t)
    if t:
        return {t}
    if "const" in schema:
        return {type(schema["const"]).__name__.replace("str", "string")}
    return set()


def child_schemas(schema, key) -> list[dict]:
    """What the schema says about `key` (a property name, or an index into an array)."""
    out = []
    for v in variants(schema):
        if isinstance(key, int):
            if "items" in v:
                out.extend(variants(v["items"]))
        elif key in v.get("properties", {}):
            out.extend(variants(v["properties"][key]))
        elif isinstance(v.get("additionalProperties"), dict):
            out.extend(variants(v["additionalProperties"]))
    return out


def accepts_free_text(schemas: list[dict], value: str) -> bool:
    """Whether these schemas make a field plain text that must take `value` as it is."""
    strings = [s for s in schemas if "string" in types_of(s) or {"maxLength", "minLength", "pattern"} & set(s)]
    if not strings:
        return False
    for s in schemas:
        if "enum" in s or ("const" in s and s["const"] is not None) or "format" in s:
            return False
        if "pattern" in s and not re.search(s["pattern"], value):
            return False
        if "maxLength" in s and len(value) > s["maxLength"]:
            return False
    return True


def text_fields(schema, body, value: str, pointer=()) -> list[tuple]:
    """JSON paths (tuples) of the string leaves of `body` that the schema makes free text."""
    out = []
    if isinstance(body, dict):
        for key, sub in body.items():
            out += _leaf(schema, key, sub, value, pointer)
    elif isinstance(body, list):
        for i, sub in enumerate(body):
            out += _leaf(schema, i, sub, value, pointer)
    return out


_ID_NAME = re.compile(r"(^|_)id$")


def _leaf(schema, key, sub, value, pointer):
    if isinstance(key, str) and _ID_NAME.search(key):
        return []  # a reference to another object, not text
    children = child_schemas(schema, key)
    here = (*pointer, key)
    if isinstance(sub, str):
        return [here] if accepts_free_text(children, value) else []
    if isinstance(sub, (dict, list)):
        return text_fields({"allOf": children}, sub, value, here)
    return []


def set_at(body, path, value):
    body = copy.deepcopy(body)
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return body


def get_at(body, path):
    for key in path:
        body = body[key]
    return body


# --- bodies the operation should accept ------------------------------------------------------

_SAMPLES = ["Sample text", "en", "CN", "EUR", "A61K 31/00", "1000.00", "+86 10 1234 5678", "ZL201910123456.7"]


def sample(schema, depth: int = 0, full: bool = False):
    """An instance of a schema, first choices: required properties only, or all with `full`."""
    schema = deref(schema)
    if depth > 12 or not isinstance(schema, dict):
        return None
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    if "examples" in schema and schema["examples"]:
        return schema["examples"][0]
    if "example" in schema:
        return schema["example"]
    for key in ("oneOf", "anyOf"):
        if key in schema:
            options = [s for s in schema[key] if "null" not in types_of(deref(s)) or len(types_of(deref(s))) > 1]
            return sample((options or schema[key])[0], depth + 1, full)
    merged: dict = {}
    required: list = []
    props: dict = {}
    for v in variants(schema):
        if "oneOf" in v or "anyOf" in v:
            continue
        merged.update({k: x for k, x in v.items() if k not in ("allOf", "properties", "required")})
        props.update(v.get("properties", {}))
        required += v.get("required", [])
    if "const" in merged:
        return merged["const"]
    if merged.get("enum"):
        return merged["enum"][0]
    kinds = types_of(merged) - {"null"}
    if props or required or "object" in kinds or "additionalProperties" in merged:
        out = {}
        for name in dict.fromkeys([*required, *(props if full else [])]):
            out[name] = sample(props.get(name, {}), depth + 1, full)
        if not out and merged.get("minProperties", 0) > 0:
            if isinstance(merged.get("additionalProperties"), dict):
                out["en"] = sample(merged["additionalProperties"], depth + 1, full)
            elif props:
                name = next(iter(props))
                out[name] = sample(props[name], depth + 1, full)
        return out
    if "array" in kinds:
        return [sample(merged.get("items", {}), depth + 1, full) for _ in range(max(1, merged.get("minItems", 1)))]
    if "integer" in kinds or "number" in kinds:
        return merged.get("minimum", 1)
    if "boolean" in kinds:
        return False
    fmt = merged.get("format")
    if fmt == "date-time":
        return (datetime.now(timezone.utc) + timedelta(days=30)).isoformat(timespec="seconds")
    if fmt == "date":
        return "2026-01-01"
    if fmt == "email":
        return "someone@example.org"
    if fmt in ("uri", "uri-reference"):
        return "https://example.org/"
    pattern = merged.get("pattern")
    for candidate in _SAMPLES:
        if pattern and not re.search(pattern, candidate):
            continue
        if len(candidate) < merged.get("minLength", 0) or len(candidate) > merged.get("maxLength", 10**9):
            continue
        return candidate
    return "x" * max(1, merged.get("minLength", 1))


def candidate_bodies(op: Operation) -> list:
    """Bodies to try for a valid request: the spec's examples, then for each oneOf branch a
    sample with every property and one with the required ones only."""
    if op.body_schema is None:
        return []
    out = [copy.deepcopy(e) for e in op.examples]
    schema = op.body_schema
    for branch in schema.get("oneOf") or schema.get("anyOf") or [schema]:
        for full in (True, False):
            body = sample(branch, full=full)
            if body not in out:
                out.append(body)
    return out
