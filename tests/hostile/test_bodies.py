"""Hostile request bodies for every operation in openapi.yaml that takes one.

Oversized, deeply nested, NUL bytes, invalid UTF-8 and lone surrogates: each gets a clear 4xx,
never a 500, and nothing about the server leaks. SQL and HTML in every free-text field are
stored as text and come back unchanged.
"""

from __future__ import annotations

import base64
import io
import json

import pytest

from . import spec
from .conftest import (
    Unresolvable,
    accepted_bodies,
    assert_no_leak,
    assert_problem,
    cases,
    expand,
    fix_references,
    fresh_values,
    send,
    send_ready,
    target,
    valid_request,
)

OPS = spec.operations()
BODY_OPS = [o for o in OPS if o.body_schema is not None]
JSON_OPS = [o for o in BODY_OPS if o.json_body]
API_JSON_OPS = [o for o in JSON_OPS if o.is_api]
FORM_OPS = [o for o in BODY_OPS if o.media_type == "application/x-www-form-urlencoded"]
MIB = 1024 * 1024

# One string with SQL and HTML in it, short enough for the shortest free-text field (60).
PAYLOAD = "'; DROP TABLE members;--<script>alert(1)</script>\"%_\\"
SECOND = "Robert'); DELETE FROM t; <img src=x onerror=alert(2)>"


def _where(op, what: str) -> str:
    return f"{op} with {what}"


def _base(client, world, op):
    """A body this operation accepts (found by trying the spec's examples and samples), and who sent it."""
    try:
        owner = target(client, world, op).actor
        prepared = valid_request(client, world, op, actors=[owner, *[a for a in world.creators if a is not owner]])
        return prepared.body, prepared.actor
    except Unresolvable as exc:
        pytest.fail(f"{op}: the spec's example bodies are all refused:\n{exc}", pytrace=False)


def _string_leaves(body, pointer=()):
    if isinstance(body, dict):
        for key, value in body.items():
            yield from _string_leaves(value, (*pointer, key))
    elif isinstance(body, list):
        for i, value in enumerate(body):
            yield from _string_leaves(value, (*pointer, i))
    elif isinstance(body, str):
        yield pointer


def _oversized(op) -> bytes:
    return (b'{"x": "' + b"x" * MIB + b'"}') if op.json_body else (b"x=" + b"x" * MIB)


@pytest.mark.parametrize("op", cases("test_a_body_over_one_mib_is_413", BODY_OPS))
def test_a_body_over_one_mib_is_413(client, world, op, soft):
    t = target(client, world, op)
    resp = send(client, op.method, t.path, actor=t.actor, raw=_oversized(op), content_type=op.media_type,
                headers=t.headers, query=t.query)

    def too_large():
        if op.path == "/oauth/authorize":  # a page for people: its errors are HTML pages
            assert resp.status_code == 413 and resp.mimetype == "text/html", f"{op}: {resp.status_code} {resp.mimetype}"
            return
        body = assert_problem(resp, _where(op, "a 1 MiB body"), {413})
        assert resp.mimetype == "application/problem+json", f"{op}: 413 as {resp.mimetype}, not a problem document"
        assert body["type"] == "/problems/payload-too-large"

    soft.check(too_large)
    soft.done()


@pytest.mark.parametrize("op", cases("test_a_chunked_body_over_one_mib_is_refused", BODY_OPS))
def test_a_chunked_body_over_one_mib_is_refused(client, world, op):
    """No Content-Length to refuse early: the limit applies while reading."""
    t = target(client, world, op)
    headers = {**t.actor.auth, **t.headers, "Content-Type": op.media_type, "Transfer-Encoding": "chunked"}
    resp = client.open(t.path, method=op.method.upper(), headers=headers, query_string=t.query,
                       input_stream=io.BytesIO(_oversized(op)))
    # The OAuth endpoints may refuse the client before reading the body (401).
    assert_problem(resp, _where(op, "a chunked 1 MiB body"), {400, 413} if op.is_api else {400, 401, 413})


@pytest.mark.parametrize("depth", [40, 100_000])
@pytest.mark.parametrize("op", cases("test_deeply_nested_json_is_refused", JSON_OPS))
def test_deeply_nested_json_is_refused(client, world, op, depth, soft):
    t = target(client, world, op)
    names = [n for v in spec.variants(op.body_schema) for n in v.get("properties", {})] or ["x"]
    for opener, closer in (("[", "]"), ('{"a":', "}")):
        raw = '{"%s": %s1%s}' % (names[0], opener * depth, closer * depth)
        resp = send(client, op.method, t.path, actor=t.actor, raw=raw.encode(), headers=t.headers, query=t.query)
        soft.check(assert_problem, resp, _where(op, f"JSON nested {depth} deep ({opener})"), {400, 422})
    soft.done()


@pytest.mark.parametrize("op", cases("test_invalid_utf8_is_400", JSON_OPS))
def test_invalid_utf8_is_400(client, world, op, soft):
    base, actor = _base(client, world, op)
    t = target(client, world, op, fresh=True)
    values = fresh_values(client, world, op, actor)
    leaves = list(_string_leaves(base)) or [("x",)]
    marker = "@@HOSTILE@@"
    encoded = json.dumps(spec.set_at(base, leaves[0], marker) if base else {"x": marker}, ensure_ascii=False).encode()
    for bad in (b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\xc0\xaf"):
        raw = encoded.replace(marker.encode(), b"ab" + bad + b"cd")
        resp = send_ready(client, world, op, values, actor, raw=raw, headers=t.headers, query=t.query)
        soft.check(assert_problem, resp, _where(op, f"invalid UTF-8 {bad!r} at {leaves[0]}"), {400, 422})
    soft.done()


def _hostile_strings(client, world, op, soft, label: str, make):
    base, actor = _base(client, world, op)
    leaves = list(_string_leaves(base))
    assert leaves, f"{op}: the accepted body {base} has no string to put {label} in"
    for leaf in leaves:
        t = target(client, world, op)
        values = fresh_values(client, world, op, actor)  # the accepted body may have changed the objects' state
        body = spec.set_at(base, leaf, make(spec.get_at(base, leaf)))
        raw = json.dumps(body).encode()  # ASCII with \\u escapes: valid JSON, hostile text
        resp = send_ready(client, world, op, values, actor, raw=raw, headers=t.headers, query=t.query)
        soft.check(assert_problem, resp, _where(op, f"{label} in /{'/'.join(map(str, leaf))}"), {400, 422})
    soft.done()


@pytest.mark.parametrize("op", cases("test_nul_bytes_in_every_string_are_refused", JSON_OPS))
def test_nul_bytes_in_every_string_are_refused(client, world, op, soft):
    _hostile_strings(client, world, op, soft, "a NUL byte", lambda s: f"{s}\u0000x")


@pytest.mark.parametrize("op", cases("test_lone_surrogates_in_every_string_are_refused", JSON_OPS))
def test_lone_surrogates_in_every_string_are_refused(client, world, op, soft):
    """'\\ud800' is valid JSON but no Unicode text: it cannot be stored or sent back as UTF-8."""
    _hostile_strings(client, world, op, soft, "a lone surrogate", lambda s: f"{s}\ud800x")


@pytest.mark.parametrize("op", cases("test_hostile_form_bodies_are_refused_cleanly", FORM_OPS))
def test_hostile_form_bodies_are_refused_cleanly(client, world, op, soft):
    """The OAuth forms: no 500, nothing leaked, whatever the fields hold."""
    t = target(client, world, op)
    fields = [n for v in spec.variants(op.body_schema) for n in v.get("properties", {})]
    hostile = ["a\x00b", "x" * 10_000, '"', "\\", "技术 members:read", "<script>alert(1)</script>", "' OR '1'='1",
               "../../etc/passwd"]
    basic = {"Authorization": "Basic " + base64.b64encode(f"{world.a.client.client_id}:{world.a.secret}".encode()).decode()}

    def clean(resp, where):
        assert_no_leak(resp, where)
        if resp.mimetype == "text/html":
            assert "<script>alert(1)</script>" not in resp.get_data(as_text=True), f"{where}: markup echoed unescaped"

    # Each field inside a request where it means something (a code goes with the code grant...).
    grant_of = {"code": "authorization_code", "code_verifier": "authorization_code", "redirect_uri": "authorization_code",
                "refresh_token": "refresh_token"}
    for name in fields:
        for value in hostile:
            form = {"grant_type": grant_of.get(name, "client_credentials"), "token": "x", name: value}
            resp = send(client, op.method, t.path, body=form, content_type=op.media_type, headers={**t.headers, **basic},
                        query=t.query)
            soft.check(clean, resp, _where(op, f"{name}={value[:20]!r}"))
    for raw in (b"grant_type=client_credentials&scope=%FF%FE", b"grant_type=client_\xff\xfe", b"\x00\x00\x00",
                b"grant_type=client_credentials&scope=%ED%A0%80", b"token=%00&token_type_hint=%00"):
        resp = send(client, op.method, t.path, raw=raw, content_type=op.media_type, headers={**t.headers, **basic},
                    query=t.query)
        soft.check(clean, resp, _where(op, f"raw form {raw!r}"))
    soft.done()


def _found(document, value) -> bool:
    if isinstance(document, dict):
        return any(_found(v, value) for v in document.values())
    if isinstance(document, list):
        return any(_found(v, value) for v in document)
    return document == value


@pytest.mark.parametrize("op", cases("test_sql_and_html_in_every_text_field_are_stored_as_text", API_JSON_OPS))
def test_sql_and_html_in_every_text_field_are_stored_as_text(client, world, op, soft):
    owner = target(client, world, op).actor
    accepted = accepted_bodies(client, world, op, actors=[owner, *[a for a in world.creators if a is not owner]])
    assert accepted, f"{op}: none of the spec's example or sample bodies is accepted"
    read_back = spec.find("get", op.path)
    covered = 0

    def round_trip(prepared, leaf, payload):
        t = target(client, world, op)
        actor = prepared.actor
        values = fresh_values(client, world, op, actor)
        path = expand(op.path, values)
        body = fix_references(client, world, actor, spec.set_at(prepared.body, leaf, payload))  # new referents
        resp = send_ready(client, world, op, values, actor, body=body, headers=t.headers)
        where = _where(op, f"{payload!r} in /{'/'.join(map(str, leaf))} (as {actor.name})")
        assert 200 <= resp.status_code < 300, f"{where}: {resp.status_code} {resp.get_data(as_text=True)[:600]}"
        assert resp.mimetype == "application/json", where
        assert _found(resp.get_json(), payload), f"{where}: not returned unchanged: {resp.get_json()}"
        # Read it again: from Location, or the GET of the same path (the item, or the list).
        again = resp.headers.get("Location") or (path if read_back else None)
        if again:
            query = {"limit": 100} if again == path and read_back.is_list else None
            got = send(client, "get", again, actor=actor, query=query)
            assert got.status_code == 200, f"{where}: reading back {again}: {got.status_code}"
            assert _found(got.get_json(), payload), f"{where}: not stored unchanged: {got.get_json()}"

    for prepared in accepted:
        for leaf in spec.text_fields(op.body_schema, prepared.body, PAYLOAD):
            for payload in (PAYLOAD, SECOND):
                covered += 1
                soft.check(round_trip, prepared, leaf, payload)
    bodies = [p.body for p in accepted]
    if not covered and any(bodies):
        soft.failures.append(f"{op}: no free-text field in any accepted body: {bodies}")
    soft.done()
