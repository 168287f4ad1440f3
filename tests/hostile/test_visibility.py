"""Objects of one member, asked for by another: never returned unless published or active.

Data-driven: every collection in openapi.yaml with a creating POST gets an object made by its
owner; B, who is no party to it, must not see it in the item, in any list (whatever the
filters), nor reach it through any operation on it - unless the object is public.
"""

from __future__ import annotations

import uuid

import pytest

from platform_api.config import DEFAULT_SCOPES
from tests.factories.oauth import make_client, make_token

from . import spec
from .conftest import accepted_bodies, assert_problem, cases, expand, send

OPS = spec.operations()
PUBLIC = {"published", "active"}


def _creatable():
    """(creating POST, item GET) pairs: /v1/xs and /v1/xs/{x_id}."""
    out = []
    for op in OPS:
        if op.method != "post" or not op.is_api or op.body_schema is None:
            continue
        item = next(
            (o for o in OPS if o.method == "get" and o.path.startswith(op.path + "/{") and o.path.count("/") == op.path.count("/") + 1),
            None,
        )
        if item is not None:
            out.append(op)
    return out


CREATABLE = _creatable()


def _same_problem(a, b) -> bool:
    """Two 404 bodies alike but for the path they name."""
    a, b = dict(a), dict(b)
    a.pop("instance", None)
    b.pop("instance", None)
    return a == b


def _all_pages(client, path, actor, query):
    """Every item of a list, following next_cursor (limit 100)."""
    items, cursor = [], None
    for _ in range(50):
        q = {**query, "limit": 100, **({"cursor": cursor} if cursor else {})}
        resp = send(client, "get", path, actor=actor, query=q)
        if resp.status_code != 200:
            return items, resp
        body = resp.get_json()
        items += body["data"]
        cursor = body.get("next_cursor")
        if not cursor:
            break
    return items, None


def _ids(document) -> set[str]:
    """Every value of an "id" key anywhere in a JSON document."""
    found = set()
    if isinstance(document, dict):
        for k, v in document.items():
            if k == "id" and isinstance(v, str):
                found.add(v)
            found |= _ids(v)
    elif isinstance(document, list):
        for v in document:
            found |= _ids(v)
    return found


def test_members_that_are_not_active_are_invisible_to_others(client, world, soft):
    a = world.a
    missing = send(client, "get", f"/v1/members/{uuid.uuid4()}", actor=a).get_json()
    directory, err = _all_pages(client, "/v1/members", a, {})
    assert err is None, err.get_data(as_text=True)
    listed = {m["id"] for m in directory}
    for member in (world.pending, world.suspended, world.terminated):
        resp = send(client, "get", f"/v1/members/{member.id}", actor=a)
        body = soft.check(assert_problem, resp, f"A reading a {member.status} member", {404})
        if body is not None:
            soft.check(lambda body=body: _same_problem(body, missing) or pytest.fail(f"404 differs: {body} vs {missing}"))
        if member.id in listed:
            soft.failures.append(f"the directory lists a {member.status} member")
        for query in ({"kind": member.kind}, {"country": member.country}, {"q": member.name}):
            items, _err = _all_pages(client, "/v1/members", a, query)
            if member.id in {m["id"] for m in items}:
                soft.failures.append(f"the directory filtered by {query} lists a {member.status} member")
        resp = send(client, "patch", f"/v1/members/{member.id}", actor=a, body={"website": "https://evil.example"},
                    headers={"If-Match": "*"})
        soft.check(assert_problem, resp, f"A changing a {member.status} member", {404})
    # An active member is visible, in its public view only, and not changeable by another.
    resp = send(client, "get", f"/v1/members/{world.b.member.id}", actor=a)
    assert resp.status_code == 200
    for private in ("status", "email", "updated_at"):
        if private in resp.get_json():
            soft.failures.append(f"another member's view shows {private!r}")
    resp = send(client, "patch", f"/v1/members/{world.b.member.id}", actor=a, body={"website": "https://evil.example"},
                headers={"If-Match": "*"})
    soft.check(assert_problem, resp, "A changing B's profile", {403})
    soft.done()


def test_a_token_of_a_member_that_is_no_longer_active_sees_nothing(client, world, soft):
    for member in (world.pending, world.suspended, world.terminated):
        client_row, _secret = make_client(member=member, scopes=list(DEFAULT_SCOPES))
        _t, token = make_token(client_row)
        for op in OPS:
            if op.is_api and op.method == "get" and not op.path_params:
                resp = client.get(op.path, headers={"Authorization": f"Bearer {token}"})
                soft.check(assert_problem, resp, f"a {member.status} member's token on {op}", {401})
    soft.done()


@pytest.mark.parametrize("creator", cases("test_private_objects_are_invisible_to_other_members", CREATABLE))
def test_private_objects_are_invisible_to_other_members(client, world, creator, soft):
    outsider = world.b
    made = accepted_bodies(client, world, creator)
    assert made, f"{creator}: could not make an object to test with"
    # The outsider's answer for an ID that does not exist, to compare with.
    item_op = next(o for o in OPS if o.method == "get" and o.path.startswith(creator.path + "/{")
                   and o.path.count("/") == creator.path.count("/") + 1)
    param = item_op.path_params[-1].name
    missing = send(client, "get", expand(item_op.path, {param: str(uuid.uuid4())}), actor=outsider).get_json()
    private: dict[str, str] = {}
    for prepared in made:
        obj = prepared.response.get_json()
        ident, status = obj["id"], obj.get("status")
        where = f"{outsider.name} and {creator.path}/{ident} ({status or 'no status'}) of {prepared.actor.name}"
        public = status in PUBLIC or (status is None and obj.get("active") is True)
        # Every operation on the object and below it, as the outsider.
        for op in OPS:
            if not op.path.startswith(item_op.path) or not op.is_api:
                continue
            values = {p.name: ident if p.name == param else str(uuid.uuid4()) for p in op.path_params}
            if len(op.path_params) != 1:
                continue  # deeper objects are covered from their own collection
            path = expand(op.path, values)
            body = spec.candidate_bodies(op)[0] if op.body_schema is not None else None
            headers = {"If-Match": "*"} if op.header("If-Match") else {}
            if op.header("Idempotency-Key"):
                headers["Idempotency-Key"] = uuid.uuid4().hex
            resp = send(client, op.method, path, actor=outsider, body=body, headers=headers)
            if op is item_op and not public:
                problem = soft.check(assert_problem, resp, f"{where}: {op}", {404})
                if problem is not None and not _same_problem(problem, missing):
                    soft.failures.append(f"{where}: the 404 differs from an unknown ID's: {problem} vs {missing}")
            elif op is item_op:
                soft.check(lambda resp=resp, op=op: resp.status_code == 200 or pytest.fail(f"{where}: {op} -> {resp.status_code}"))
            elif op.method == "get":
                # Sub-resources of an object the outsider may not see are 404 (or refused), never data.
                if not public or resp.status_code != 200:
                    soft.check(assert_problem, resp, f"{where}: {op}", {403, 404})
            else:
                soft.check(assert_problem, resp, f"{where}: {op}", {403, 404} if public else {404})
        if not public:
            private[ident] = where
    # Every list the outsider can read, with every enum filter value and the owners' IDs as filters.
    owners = {p.actor.member.id for p in made}
    for list_op in OPS:
        if not list_op.is_list or list_op.path_params:
            continue
        queries = [{}]
        for p in list_op.query_params:
            for v in spec.variants(p.schema):
                queries += [{p.name: value} for value in v.get("enum", [])]
            if p.name in ("owner", "member_id"):
                queries += [{p.name: owner} for owner in owners]
        for query in queries:
            items, err = _all_pages(client, list_op.path, outsider, query)
            if err is None:
                for ident in private.keys() & _ids(items):
                    soft.failures.append(f"{private[ident]}: listed by {list_op} with {query}")
    soft.done()
