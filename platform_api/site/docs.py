"""openapi.yaml, read once, turned into what the /docs page shows."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .markdown import sections, slugify

METHODS = ("get", "put", "post", "patch", "delete")


@dataclass(frozen=True)
class Row:
    """One parameter or body field."""

    name: str
    where: str
    required: bool
    type: str
    constraints: str
    description: str


@dataclass(frozen=True)
class Answer:
    status: str
    description: str
    content_types: list[str]
    headers: list[str]
    problem_types: list[str]


@dataclass
class Operation:
    anchor: str
    method: str
    path: str
    summary: str
    description: str
    access: str
    scopes: list[str]
    parameters: list[Row]
    body_type: str | None
    body_fields: list[Row]
    answers: list[Answer]


@dataclass
class Tag:
    name: str
    anchor: str
    description: str
    operations: list[Operation] = field(default_factory=list)


@dataclass
class Docs:
    title: str
    version: str
    summary: str
    intro: str
    conventions: list[tuple[str, str, str]]  # (anchor, title, markdown)
    scopes: list[tuple[str, str]]
    tags: list[Tag]


class _Spec:
    def __init__(self, document: dict):
        self.doc = document

    def resolve(self, node):
        """Follow local $refs until a schema, parameter, response or header object."""
        seen = 0
        while isinstance(node, dict) and "$ref" in node:
            target = self.doc
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
            seen += 1
            if seen > 20:
                raise ValueError("circular $ref in openapi.yaml")
        return node

    def merged(self, schema) -> dict:
        """A schema with its $ref followed and its allOf folded in (enough to describe it).

        Later allOf parts refine earlier ones, and the schema's own keywords refine them all: a
        property named in several places gets the union of its keywords.
        """
        own = dict(self.resolve(schema or {}))
        out: dict = {}
        for part in [*(self.merged(p) for p in own.pop("allOf", [])), own]:
            for key, value in part.items():
                if key == "properties":
                    props = dict(out.get("properties", {}))
                    for name, prop in value.items():
                        props[name] = {**self.resolve(props.get(name, {})), **self.resolve(prop)}
                    out["properties"] = props
                elif key == "required":
                    out["required"] = sorted(set(value) | set(out.get("required", [])))
                elif key == "additionalProperties" and isinstance(value, dict) and isinstance(out.get(key), dict):
                    out[key] = {**out[key], **value}
                else:
                    out[key] = value
        return out

    # --- words for a schema --------------------------------------------------------------

    def label(self, schema) -> str:
        s = self.merged(schema)
        if "const" in s:
            return json.dumps(s["const"], ensure_ascii=False)
        if "enum" in s:
            return "one of: " + ", ".join(str(v) for v in s["enum"])
        for key in ("oneOf", "anyOf"):
            if key in s:
                return " or ".join(self.label(v) for v in s[key])
        types = s.get("type", "any")
        types = types if isinstance(types, list) else [types]
        words = []
        for t in types:
            if t == "array":
                words.append(f"array of {self.label(s.get('items', {}))}")
            elif t == "object" and not s.get("properties") and isinstance(s.get("additionalProperties"), dict):
                words.append(f"object of {self.label(s['additionalProperties'])} values")
            elif t == "string" and s.get("format"):
                words.append(f"string ({s['format']})")
            else:
                words.append(t)
        return " or ".join(words)

    def constraints(self, schema) -> str:
        s = self.merged(schema)
        for key in ("oneOf", "anyOf"):
            if key in s:
                inner = [self.constraints(v) for v in s[key]]
                return "; ".join(c for c in inner if c)
        out = [
            text
            for text in (
                _bounds(s.get("minimum"), s.get("maximum")),
                _bounds(s.get("minLength"), s.get("maxLength"), (" character", " characters")),
                _bounds(s.get("minProperties"), s.get("maxProperties"), (" entry", " entries")),
            )
            if text
        ]
        if s.get("maxItems") is not None:
            out.append(f"at most {s['maxItems']} items")
        pattern = s.get("pattern")
        if pattern == r"\S":
            out.append("not blank")
        elif pattern:
            out.append(f"pattern {pattern}")
        if isinstance(s.get("additionalProperties"), dict) and not s.get("properties"):
            inner = self.constraints(s["additionalProperties"])
            if inner:
                out.append(f"each value {inner}")
        if "propertyNames" in s:
            out.append(f"keys match {self.merged(s['propertyNames']).get('pattern', '')}")
        if "default" in s:
            out.append(f"default {json.dumps(s['default'])}")
        if s.get("additionalProperties") is False and s.get("properties"):
            out.append("no other fields")
        return "; ".join(out)

    def object_of(self, schema) -> dict | None:
        """The object schema with properties inside `schema` (through a null alternative), if any."""
        s = self.merged(schema)
        if s.get("properties"):
            return s
        for key in ("oneOf", "anyOf"):
            for variant in s.get(key, []):
                inner = self.merged(variant)
                if inner.get("properties"):
                    return inner
        return None

    def fields(self, schema, prefix: str = "", depth: int = 0) -> list[Row]:
        s = self.merged(schema)
        required = set(s.get("required", []))
        rows: list[Row] = []
        for name, prop in s.get("properties", {}).items():
            merged = self.merged(prop)
            rows.append(
                Row(
                    name=prefix + name,
                    where="body",
                    required=name in required,
                    type=self.label(prop),
                    constraints=self.constraints(prop),
                    description=merged.get("description", ""),
                )
            )
            inner = self.object_of(prop)
            if inner is not None and depth < 2:
                rows.extend(self.fields(inner, prefix=f"{prefix}{name}.", depth=depth + 1))
        return rows


def _bounds(low, high, unit: tuple[str, str] = ("", "")) -> str:
    def count(n) -> str:
        return f"{n}{unit[0] if n == 1 else unit[1]}"

    if low is not None and high is not None:
        return f"{low} to {count(high)}"
    if low:
        return f"at least {count(low)}"
    if high is not None:
        return f"at most {count(high)}"
    return ""


def _access(op: dict) -> tuple[str, list[str]]:
    security = op.get("security")
    if not security:
        return "None: public.", []
    names = {name for requirement in security for name in requirement}
    if "oauth2" in names:
        scopes = sorted({s for requirement in security for s in requirement.get("oauth2", [])})
        return ("Bearer token with scope:" if scopes else "Any valid bearer token, whatever its scopes."), scopes
    if "metricsToken" in names:
        return "The deployment's metrics token (PLATFORM_METRICS_TOKEN) as a bearer token; not an OAuth token.", []
    methods = op.get("x-client-authentication", [])
    return "Client authentication: " + ", ".join(methods or ["HTTP Basic"]) + ".", []


def _answers(spec: _Spec, responses: dict) -> list[Answer]:
    out = []
    for status, response in sorted(responses.items()):
        response = spec.resolve(response)
        content = response.get("content", {})
        types = []
        for media in content.values():
            schema = spec.merged(media.get("schema", {}))
            kind = spec.merged(schema.get("properties", {}).get("type", {}))
            values = [kind["const"]] if "const" in kind else kind.get("enum", [])
            types.extend(v for v in values if isinstance(v, str) and v.startswith("/problems/"))
        out.append(
            Answer(
                status=str(status),
                description=response.get("description", ""),
                content_types=list(content),
                headers=sorted(response.get("headers", {})),
                problem_types=types,
            )
        )
    return out


def _operation(spec: _Spec, path: str, method: str, op: dict, shared: list) -> Operation:
    params = {}
    for p in [*shared, *op.get("parameters", [])]:
        p = spec.resolve(p)
        params[(p["name"], p["in"])] = Row(
            name=p["name"],
            where=p["in"],
            required=bool(p.get("required")),
            type=spec.label(p.get("schema", {})),
            constraints=spec.constraints(p.get("schema", {})),
            description=p.get("description", ""),
        )
    body = spec.resolve(op.get("requestBody", {}))
    body_type, body_fields = None, []
    for media_type, media in body.get("content", {}).items():
        body_type, body_fields = media_type, spec.fields(media.get("schema", {}))
        break
    access, scopes = _access(op)
    return Operation(
        anchor=op.get("operationId") or slugify(f"{method} {path}"),
        method=method.upper(),
        path=path,
        summary=op.get("summary", ""),
        description=op.get("description", ""),
        access=access,
        scopes=scopes,
        parameters=list(params.values()),
        body_type=body_type,
        body_fields=body_fields,
        answers=_answers(spec, op.get("responses", {})),
    )


def _add(tags: dict, operation: Operation, op: dict) -> None:
    for name in op.get("tags", ["other"]):
        tags.setdefault(name, Tag(name, "tag-" + slugify(name), "")).operations.append(operation)


def build(document: dict) -> Docs:
    spec = _Spec(document)
    info = document.get("info", {})
    tags = {
        t["name"]: Tag(t.get("x-displayName", t["name"]), "tag-" + slugify(t["name"]), t.get("description", ""))
        for t in document.get("tags", [])
    }
    for path, item in document.get("paths", {}).items():
        shared = item.get("parameters", [])
        for method in METHODS:
            if item.get(method) is not None:
                _add(tags, _operation(spec, path, method, item[method], shared), item[method])
    # OpenAPI 3.1 webhooks: what the platform sends to members' endpoints, one per event type.
    for name, item in document.get("webhooks", {}).items():
        for method in METHODS:
            if item.get(method) is not None:
                operation = _operation(spec, f"webhook {name}", method, item[method], [])
                operation.access = "Sent by the platform to your webhook endpoint, signed: check webhook-signature."
                _add(tags, operation, item[method])
    conventions = []
    intro = ""
    for title, body in sections(info.get("description")):
        if title:
            conventions.append(("conventions-" + slugify(title), title, body))
        else:
            intro = body
    flows = document.get("components", {}).get("securitySchemes", {}).get("oauth2", {}).get("flows", {})
    scopes = next(iter(flows.values()), {}).get("scopes", {}) if flows else {}
    return Docs(
        title=info.get("title", "API"),
        version=info.get("version", ""),
        summary=info.get("summary", ""),
        intro=intro,
        conventions=conventions,
        scopes=list(scopes.items()),
        tags=[t for t in tags.values() if t.operations],
    )


def load(path: str | Path) -> tuple[bytes, Docs]:
    """The document's bytes and its docs model."""
    raw = Path(path).read_bytes()
    return raw, build(yaml.safe_load(raw))
