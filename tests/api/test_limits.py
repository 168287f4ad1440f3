"""Documented bounds fit what the server accepts: the front server's request line, and cursors.

gunicorn refuses a request line longer than `limit_request_line` (config/gunicorn.conf.py) with
its own HTML 400, before the app runs: no problem document, no X-Request-ID. So every operation's
longest request that openapi.yaml calls valid (each parameter at its documented maximum, each
character in its worst percent-encoding) must fit in it. The live half, against gunicorn with
that configuration, is tests/concurrency/test_request_limits.py.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import pytest

from platform_api.api.schemas import CURSOR_MAX_LENGTH, CURSOR_PATTERN
from tests.factories.members import MemberFactory
from tests.factories.oauth import ClientFactory, make_token

from ..contract import contract

ROOT = Path(__file__).resolve().parents[2]
HTTP_METHODS = ("get", "put", "post", "patch", "delete")
# Characters probed for a pattern's worst encoding: every printable ASCII one, then non-ASCII
# of 2, 3 and 4 UTF-8 bytes (percent-encoded: 6, 9 and 12 bytes).
_PROBES = [chr(c) for c in range(0x20, 0x7F)] + ["\u00e9", "\u4e2d", "\U0001f600"]


def gunicorn_setting(name: str) -> int:
    text = (ROOT / "config" / "gunicorn.conf.py").read_text(encoding="utf-8")
    match = re.search(rf"^{name} = (\d+)$", text, re.M)
    assert match, f"config/gunicorn.conf.py sets no {name}"
    return int(match.group(1))


def _resolve(document, node):
    while isinstance(node, dict) and "$ref" in node:
        target = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _bytes(char: str, header: bool) -> int:
    return len(char.encode()) if header else len(quote(char, safe=""))


def _char_cost(pattern: str | None, header: bool) -> int:
    """The most bytes one character of a value can take in a query string (percent-encoded) or a header."""
    simple = pattern and re.fullmatch(r"\^(\[[^\]]+\])(?:\+|\{\d+(?:,\d+)?\}|\*)\$", pattern)
    if not simple:
        return _bytes("\U0001f600", header)  # anything the pattern does not pin down might be any character
    allowed = [c for c in _PROBES if re.fullmatch(simple.group(1), c)]
    return max(_bytes(c, header) for c in allowed)


def worst_value_length(schema: dict, where: str, header: bool = False) -> int:
    """The longest a schema-valid value can be once percent-encoded; fails when it is unbounded."""
    if "enum" in schema or "const" in schema:
        values = schema.get("enum", [schema.get("const")])
        return max(len(quote(str(v).lower() if isinstance(v, bool) else str(v), safe="")) for v in values)
    kind = schema.get("type")
    if kind == "integer":
        assert "maximum" in schema and "minimum" in schema, f"{where}: an integer without minimum and maximum"
        return max(len(str(schema["maximum"])), len(str(schema["minimum"])))
    if kind == "boolean":
        return 5
    assert kind == "string", f"{where}: {schema}"
    if schema.get("format") == "uuid":
        return 36
    pattern = schema.get("pattern")
    length = schema.get("maxLength")
    if length is None and pattern is not None:
        fixed = re.fullmatch(r"\^\[[^\]]+\]\{(?:\d+,)?(\d+)\}\$", pattern)
        length = int(fixed.group(1)) if fixed else None
    assert length is not None, f"{where}: a string without maxLength (the request line is bounded)"
    return length * _char_cost(pattern, header)


def _operations(document):
    for path, item in document["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                params = [_resolve(document, p) for p in item.get("parameters", []) + item[method].get("parameters", [])]
                yield method, path, params


def longest_request_line(document, method: str, path: str, params: list[dict]) -> int:
    target = path
    query = []
    for param in params:
        where = f"{method.upper()} {path} {param['in']} parameter {param['name']}"
        if param["in"] == "path":
            target = target.replace("{" + param["name"] + "}", "x" * worst_value_length(_resolve(document, param["schema"]), where))
        elif param["in"] == "query":
            query.append(len(quote(param["name"], safe="")) + 1 + worst_value_length(_resolve(document, param["schema"]), where))
    query_length = (1 + sum(query) + len(query) - 1) if query else 0
    return len(method) + 1 + len(target) + query_length + len(" HTTP/1.1")


def test_every_documented_request_line_fits_the_front_server():
    document = contract().document
    limit = gunicorn_setting("limit_request_line")
    lines = {f"{m.upper()} {p}": longest_request_line(document, m, p, params) for m, p, params in _operations(document)}
    too_long = {op: n for op, n in lines.items() if n > limit}
    assert too_long == {}, f"longest valid request lines over limit_request_line={limit}: {too_long}"
    assert max(lines.values()) > limit // 2  # the measure measures something


def test_documented_headers_fit_the_front_server():
    document = contract().document
    limit = gunicorn_setting("limit_request_field_size")
    for name, param in document["components"]["parameters"].items():
        if param["in"] == "header" and not name.startswith("webhook-"):  # webhook-*: our requests, not theirs
            assert len(param["name"]) + 2 + worst_value_length(param["schema"], f"header {name}", header=True) <= limit, name


def test_the_cursor_parameter_is_what_the_server_checks():
    schema = contract().document["components"]["parameters"]["cursor"]["schema"]
    assert schema["maxLength"] == CURSOR_MAX_LENGTH
    assert schema["pattern"] == CURSOR_PATTERN.pattern
    page = contract().document["components"]["schemas"]["MemberPage"]["properties"]["next_cursor"]
    assert (page["maxLength"], page["pattern"]) == (CURSOR_MAX_LENGTH, CURSOR_PATTERN.pattern)


@pytest.fixture
def bearer():
    _token, value = make_token(ClientFactory(member=MemberFactory()))
    return {"Authorization": f"Bearer {value}"}


def _refused_cursor(client, headers, cursor):
    resp = client.get("/v1/members", query_string={"cursor": cursor}, headers=headers)
    assert resp.status_code == 400, resp.get_data(as_text=True)[:300]
    assert resp.mimetype == "application/problem+json"
    assert resp.headers["X-Request-ID"]
    body = resp.get_json()
    assert body["type"] == "/problems/invalid-parameter"
    assert {e["parameter"] for e in body["errors"]} == {"cursor"}
    return body


@pytest.mark.parametrize(
    "cursor",
    [
        "é" * 2000,  # schema-valid before: 18,000 bytes on the request line
        "é",
        "abc def",
        "abc+def/ghi=",  # standard base64, not URL-safe
        "a" * (CURSOR_MAX_LENGTH + 1),
        "\x00",
    ],
    ids=["2000-non-ascii", "one-non-ascii", "space", "standard-base64", "over-max-length", "nul"],
)
def test_a_cursor_outside_the_documented_bound_is_a_problem_on_the_cursor_parameter(client, bearer, cursor):
    _refused_cursor(client, bearer, cursor)


def test_a_cursor_inside_the_bound_that_is_not_ours_is_refused_the_same_way(client, bearer):
    body = _refused_cursor(client, bearer, "a" * CURSOR_MAX_LENGTH)
    assert "invalid here" in body["errors"][0]["detail"]


def test_real_cursors_are_inside_the_bound(client, bearer):
    MemberFactory.create_batch(3)
    resp = client.get("/v1/members", query_string={"limit": 1}, headers=bearer)
    assert resp.status_code == 200
    cursor = resp.get_json()["next_cursor"]
    assert cursor and len(cursor) <= CURSOR_MAX_LENGTH and CURSOR_PATTERN.fullmatch(cursor)
    again = client.get("/v1/members", query_string={"limit": 1, "cursor": cursor}, headers=bearer)
    assert again.status_code == 200, again.get_data(as_text=True)[:300]
