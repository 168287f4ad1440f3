"""Hostile query strings and headers for every operation in openapi.yaml.

Huge and malformed `limit`, forged and foreign cursors, hostile values in every query
parameter, tokens in the query string, and malformed Authorization, Idempotency-Key and
If-Match headers: each a clear 4xx problem, never a 500, nothing leaked.
"""

from __future__ import annotations

import base64
import json
import uuid

import pytest

from tests.factories.technologies import technology_body

from . import spec
from .conftest import (
    accepted_bodies,
    assert_no_leak,
    assert_problem,
    cases,
    expand,
    fix_references,
    path_values,
    send,
    target,
)

OPS = spec.operations()
API_OPS = [o for o in OPS if o.is_api]
LIST_OPS = [o for o in OPS if o.is_list]
LIMITED = [o for o in OPS if any(p.name == "limit" for p in o.query_params)]
QUERY_OPS = [o for o in OPS if o.query_params and o.method == "get"]

BAD_LIMITS = ["1000000000000000000000000000000", "101", "0", "-1", "abc", "1e3", "20.5", "", "0x10", "5\x00", "%00"]
HOSTILE_VALUES = [
    "\x00",
    "a\x00b",
    "x" * 10_000,
    "' OR '1'='1' --",
    "1; DROP TABLE members; --",
    "<script>alert(1)</script>",
    "../../../etc/passwd",
    "技术转移",
    "😀",
    "%",
    "_",
    "\\",
    " ",
    "\ufeff",
    "true; false",
]


def _prepare(client, world, op):
    t = target(client, world, op)
    return t.path, t.headers, t.query, t.actor


@pytest.mark.parametrize("op", cases("test_huge_and_malformed_limit_is_400", LIMITED))
def test_huge_and_malformed_limit_is_400(client, world, op, soft):
    path, headers, query, actor = _prepare(client, world, op)

    def refused(value):
        resp = send(client, op.method, path, actor=actor, headers=headers, query={**query, "limit": value})
        body = assert_problem(resp, f"{op} with limit={value!r}", {400})
        assert any(e.get("parameter") == "limit" for e in body.get("errors", [])), f"{op} limit={value!r}: {body}"

    for value in BAD_LIMITS:
        soft.check(refused, value)
    for value in ("1", "100"):
        resp = send(client, op.method, path, actor=actor, headers=headers, query={**query, "limit": value})
        assert resp.status_code == 200, f"{op} with limit={value}: {resp.status_code} {resp.get_data(as_text=True)[:300]}"
    soft.done()


@pytest.mark.parametrize("op", cases("test_unknown_and_repeated_query_parameters_are_400", QUERY_OPS))
def test_unknown_and_repeated_query_parameters_are_400(client, world, op, soft):
    if not op.is_api:
        pytest.skip("only /v1 refuses unknown parameters")
    path, headers, query, actor = _prepare(client, world, op)
    for extra in ("<script>=1", "__proto__=1", "limit=1&limit=2", "a%00b=1"):
        qs = "&".join([f"{k}={v}" for k, v in query.items()] + [extra])
        resp = send(client, op.method, path, actor=actor, headers=headers, query=qs)
        soft.check(assert_problem, resp, f"{op} with ?{extra}", {400})
    soft.done()


@pytest.mark.parametrize("op", cases("test_hostile_values_in_every_query_parameter", QUERY_OPS))
def test_hostile_values_in_every_query_parameter(client, world, op, soft):
    """Each parameter alone: a 200 (a harmless text search) or a 400 naming it; never more."""
    path, headers, query, actor = _prepare(client, world, op)
    free_text = {p.name for p in op.query_params if spec.accepts_free_text(spec.variants(p.schema), "%")}

    def harmless(param, value):
        resp = send(client, op.method, path, actor=actor, headers=headers, query={**query, param.name: value})
        where = f"{op} with {param.name}={value[:30]!r}"
        assert_no_leak(resp, where)
        if not op.is_api:
            return
        if resp.status_code == 200:
            data = resp.get_json().get("data")
            if param.name in free_text and value in ("%", "_", "\\"):
                # LIKE wildcards are text: nothing in the test world contains them.
                assert data == [], f"{where}: a wildcard matched {len(data)} rows"
        else:
            body = assert_problem(resp, where, {400})
            if param.name != "cursor" and body.get("errors"):
                assert any(e.get("parameter") == param.name for e in body["errors"]), f"{where}: {body}"

    for param in op.query_params:
        for value in HOSTILE_VALUES:
            soft.check(harmless, param, value)
    soft.done()


#: Lists with no create operation of their own, and an operation that adds to them.
FED_BY = {"/v1/events": ("/v1/technologies", technology_body)}


def _first_page_cursor(client, world, op, actor, path, query):
    """A real next_cursor of `op` for `actor`, making a second item through the API if needed."""
    resp = send(client, "get", path, actor=actor, query={**query, "limit": 1})
    assert resp.status_code == 200, f"{op}: {resp.status_code} {resp.get_data(as_text=True)[:300]}"
    cursor = resp.get_json()["next_cursor"]
    creator = spec.find("post", op.path)
    if cursor is None and op.path in FED_BY:  # a list that the caller's other operations fill (its events)
        for _ in range(2):
            made = send(client, "post", FED_BY[op.path][0], actor=actor, body=FED_BY[op.path][1](),
                        headers={"Idempotency-Key": uuid.uuid4().hex})
            assert made.status_code == 201, f"{op}: could not feed it: {made.get_data(as_text=True)[:300]}"
        resp = send(client, "get", path, actor=actor, query={**query, "limit": 1})
        return resp.get_json()["next_cursor"]
    if cursor is None and creator is not None and creator.body_schema is not None:
        # Add items to this very list (same parent objects as `path`), by whoever may.
        made = 0
        for body in spec.candidate_bodies(creator) * 2:
            for who in world.creators:
                sent = fix_references(client, world, who, body)
                h = {"Idempotency-Key": uuid.uuid4().hex} if creator.header("Idempotency-Key") else {}
                if 200 <= send(client, "post", path, actor=who, body=sent, headers=h).status_code < 300:
                    made += 1
                    break
            if made >= 2:
                break
        resp = send(client, "get", path, actor=actor, query={**query, "limit": 1})
        cursor = resp.get_json()["next_cursor"]
    return cursor


def _tamper(cursor: str) -> list[str]:
    middle = len(cursor) // 2
    flipped = cursor[:middle] + ("A" if cursor[middle] != "A" else "B") + cursor[middle + 1 :]
    payload = cursor.split(".")[0]
    forged_payload = base64.urlsafe_b64encode(json.dumps({"k": ["2000-01-01T00:00:00+00:00", "x"], "o": 0}).encode()).decode().rstrip("=")
    return [
        flipped,
        cursor + "x",
        cursor[:-1],
        payload,
        forged_payload + "." + cursor.split(".")[-1],
        forged_payload,
        "x",
        "A" * 2000,
        "A" * 2001,
        "\x00",
        "../" * 10,
        "' OR 1=1 --",
    ]


@pytest.mark.parametrize("op", cases("test_forged_and_foreign_cursors_are_400", LIST_OPS))
def test_forged_and_foreign_cursors_are_400(client, world, op, soft):
    path, headers, query, actor = _prepare(client, world, op)
    cursor = _first_page_cursor(client, world, op, actor, path, query)
    if cursor is None:
        pytest.fail(f"{op}: could not get a second page to test cursors against (make items for it)", pytrace=False)
    # The real cursor works for its own caller and query.
    ok = send(client, "get", path, actor=actor, query={**query, "limit": 1, "cursor": cursor})
    assert ok.status_code == 200, f"{op}: own cursor refused: {ok.get_data(as_text=True)[:300]}"
    for forged in _tamper(cursor):

        def refused(forged=forged):
            resp = send(client, "get", path, actor=actor, query={**query, "limit": 1, "cursor": forged})
            body = assert_problem(resp, f"{op} with a forged cursor {forged[:40]!r}", {400})
            assert any(e.get("parameter") == "cursor" for e in body.get("errors", [])), f"{op}: {body}"

        soft.check(refused)
    # Another member's client, with the same query: refused, not a page of A's data.
    for other in [x for x in (world.b, world.c, world.a) if x is not actor]:
        own = send(client, "get", path, actor=other, query={**query, "limit": 1})
        if own.status_code != 200:
            continue  # the list itself is not theirs to read (404): nothing to replay it on
        resp = send(client, "get", path, actor=other, query={**query, "limit": 1, "cursor": cursor})
        soft.check(assert_problem, resp, f"{op}: {other.name} replaying {actor.name}'s cursor", {400})
    # The same caller with another query (another filter).
    for param in op.query_params:
        enum = next((v["enum"] for v in spec.variants(param.schema) if "enum" in v), None)
        if enum and param.name not in query:
            resp = send(client, "get", path, actor=actor, query={**query, "limit": 1, "cursor": cursor, param.name: enum[0]})
            soft.check(assert_problem, resp, f"{op}: cursor replayed with {param.name}={enum[0]}", {400})
            break
    # A cursor of one list is refused by every other list.
    for other_op in LIST_OPS:
        if other_op is op:
            continue
        other_path, _h, other_query, other_actor = _prepare(client, world, other_op)
        resp = send(client, "get", other_path, actor=other_actor, query={**other_query, "limit": 1, "cursor": cursor})
        soft.check(assert_problem, resp, f"{other_op} with a cursor of {op}", {400})
    soft.done()


def _valid(client, world, op):
    """(path, actor, body, headers, query) of a request `op` accepts, on fresh objects."""
    path, headers, query, actor = _prepare(client, world, op)
    if op.body_schema is None:
        return path, actor, None, headers, query
    accepted = accepted_bodies(client, world, op, actors=[actor, *[a for a in world.creators if a is not actor]])
    if not accepted:
        pytest.fail(f"{op}: none of the spec's example or sample bodies is accepted", pytrace=False)
    p = accepted[0]
    fresh = expand(op.path, {**path_values(client, world, op, p.actor, fresh=True),
                             **{k: v for k, v in p.path_values.items() if k == "member_id"}})
    return fresh, p.actor, p.body, {**headers, **p.headers}, query


def _rekey(headers: dict) -> dict:
    if "Idempotency-Key" in headers:
        return {**headers, "Idempotency-Key": uuid.uuid4().hex}
    return headers


@pytest.mark.parametrize("op", cases("test_access_tokens_in_the_query_string_are_refused", API_OPS))
def test_access_tokens_in_the_query_string_are_refused(client, world, op, soft):
    path, actor, body, headers, query = _valid(client, world, op)
    token = actor.token
    for with_header in (False, True):
        resp = send(
            client, op.method, path, actor=actor if with_header else None, body=body, content_type=op.media_type,
            headers=_rekey(headers), query={**query, "access_token": token},
        )
        where = f"{op} with access_token in the query ({'and' if with_header else 'no'} header)"
        soft.check(assert_problem, resp, where, {400})
        soft.check(lambda: (_ for _ in ()).throw(AssertionError(f"{where}: the token is echoed"))
                   if token in resp.get_data(as_text=True) else None)
    soft.done()


@pytest.mark.parametrize("op", cases("test_malformed_authorization_headers_are_401", API_OPS))
def test_malformed_authorization_headers_are_401(client, world, op, soft):
    path, headers, query, _actor = _prepare(client, world, op)
    for value in (
        "Bearer",
        "Bearer ",
        "Bearer " + "a" * 10_000,
        "Bearer a\tb",
        f"Bearer {world.a.token}x",
        f"Bearer {world.a.token[:-1]}",
        f"bearer  {world.a.token.upper()}",
        f"Basic {base64.b64encode(b'a:b').decode()}",
        f"Bearer {world.a.token}, Bearer {world.b.token}",
        "Bearer ' OR 1=1 --",
        "Bearer ../../etc/passwd",
        "Bearer \u6280\u672f".encode().decode("latin-1"),
        "Bearer %00",
    ):

        def refused(value=value):
            resp = send(client, op.method, path, headers={**headers, "Authorization": value}, query=query)
            body = assert_problem(resp, f"{op} with Authorization: {value[:40]!r}", {400, 401})
            if resp.status_code == 401:
                assert resp.headers.get("WWW-Authenticate", "").startswith("Bearer"), f"{op}: {body}"

        soft.check(refused)
    soft.done()


IDEMPOTENT = [o for o in OPS if o.header("Idempotency-Key") and o.body_schema is not None]


@pytest.mark.parametrize("op", cases("test_malformed_idempotency_keys_are_400", IDEMPOTENT))
def test_malformed_idempotency_keys_are_400(client, world, op, soft):
    path, actor, body, headers, query = _valid(client, world, op)
    for key in ("", "k" * 256, "ключ".encode().decode("latin-1"), "a\x7fb", "a\tb"):
        resp = send(client, op.method, path, actor=actor, body=body, headers={**headers, "Idempotency-Key": key}, query=query)
        soft.check(assert_problem, resp, f"{op} with Idempotency-Key {key[:20]!r}", {400})
    soft.done()


CHANGES = [o for o in OPS if o.header("If-Match")]


@pytest.mark.parametrize("op", cases("test_malformed_if_match_is_412_or_428", CHANGES))
def test_malformed_if_match_is_412_or_428(client, world, op, soft):
    path, actor, body, _headers, query = _valid(client, world, op)
    for value in ("x" * 10_000, 'W/"x"', '"', '""', ",,,", "*x", '"' + "a" * 5000 + '"', "\u00e9"):
        resp = send(client, op.method, path, actor=actor, body=body, headers={"If-Match": value}, query=query)
        soft.check(assert_problem, resp, f"{op} with If-Match {value[:30]!r}", {412})
    resp = send(client, op.method, path, actor=actor, body=body, query=query)
    soft.check(assert_problem, resp, f"{op} without If-Match", {428})
    soft.done()


def test_client_secrets_in_the_token_query_string_do_not_issue_tokens(client, world):
    op = spec.find("post", "/oauth/token")
    assert op is not None
    query = {"grant_type": "client_credentials", "client_id": world.a.client.client_id, "client_secret": world.a.secret}
    resp = client.post("/oauth/token", query_string=query)
    assert resp.status_code != 200 and "access_token" not in resp.get_data(as_text=True), resp.get_data(as_text=True)
    assert_no_leak(resp, "POST /oauth/token with credentials in the query string")
    assert world.a.secret not in resp.get_data(as_text=True)
    resp = client.post("/oauth/token", query_string=query, data={"grant_type": "client_credentials"})
    assert resp.status_code != 200, "a client authenticated from the query string"


def test_every_operation_is_checked(client):
    """The data-driven lists above really come from the spec (and are not empty)."""
    assert API_OPS and LIST_OPS and LIMITED and IDEMPOTENT and CHANGES
    assert spec.find("get", "/v1/members") in LIST_OPS
    assert expand("/v1/x/{a}", {"a": "../ '"}) == "/v1/x/..%2F%20%27"
