"""Contract fuzzing (issue 6): schemathesis generates requests for every operation in openapi.yaml.

Each generated request is sent in-process (WSGI, no server) to the session app (rate limit
100000/minute, reset before every example, so no 429 can mask a result) as each of two members,
A and B, whose tokens hold all ten scopes. For an operation on an object (path parameters), the
request is also sent with the generated IDs replaced by those of a real object (made through the
API by the hostile suite's helpers), as its owner and as B. No answer may be a 5xx, use a status
code or content type the contract does not document for the operation, break the documented
response schema, or show a stack trace. The app's own contract check (tests/contract.py) runs on
every response too; its findings are drained after each request so that hypothesis reports the
example that caused them.

All examples of one operation run inside that test's rolled-back transaction (conftest's
`connection` fixture): what the fuzzer creates lives only until the test ends. The fixtures are
function-scoped, hence set up once per operation and shared by its examples - intended here:
members, tokens and objects are reused, and nothing needs resetting between examples (a failed
request rolls back only its own savepoint). Examples are thus not isolated from each other
(what one creates, the next may see): harmless for these checks, and hypothesis's replay of a
failing example stays deterministic enough to report it. schemathesis's stateful testing
(`schema.as_state_machine()`) is not used: openapi.yaml declares no `links` to drive it, and
sequences of operations are reached here by the real-object pass instead.

Set `FUZZ_EXAMPLES` / `FUZZ_MODES` for a longer search by hand (CI keeps the defaults).
"""

from __future__ import annotations

import os
import re

import hypothesis
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.contract import SPEC_PATH, drain_failures
from tests.hostile import spec
from tests.hostile.conftest import Unresolvable, expand, fix_references, owner_of, path_values, send
from tests.hostile.test_visibility import CREATABLE, PUBLIC, _all_pages, _ids

# Bounded and reproducible: the whole suite runs twice in CI (SQLite, PostgreSQL). For a longer
# search by hand: FUZZ_EXAMPLES=200 pytest tests/fuzz
hypothesis.settings.register_profile(
    "fuzz",
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "20")),
    derandomize=True,
    deadline=None,
    database=None,
    print_blob=True,
    # The fixtures are per test (one rolled-back transaction per operation), on purpose.
    suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture, hypothesis.HealthCheck.too_slow,
                           hypothesis.HealthCheck.filter_too_much, hypothesis.HealthCheck.data_too_large],
)

schema = schemathesis.openapi.from_path(SPEC_PATH)
# The spec's examples, then generated data the contract calls valid. Invalid input is the hostile
# suite's job (tests/hostile); the coverage phase is not bounded by max_examples.
schema.config.phases.update(phases=["examples", "fuzzing"])
# (By hand, FUZZ_MODES=positive,negative adds schemathesis's invalid data.)
schema.config.generation.update(
    modes=[schemathesis.GenerationMode(m) for m in os.environ.get("FUZZ_MODES", "positive").split(",")]
)
# /oauth/authorize is a browser flow (login session, consent form, redirects): generated query
# strings reach only its error page, which tests/oauth and tests/hostile/test_pages.py cover.
schema = schema.exclude(path="/oauth/authorize")

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
TRACE = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+")

# Known bugs, by operation label ("METHOD /path") -> reason: strict xfails (see pytest_collection_modifyitems).
KNOWN_BUGS: dict[str, str] = {}


def _contract_kept(label: str) -> None:
    """The app's own check (tests/contract.py) found nothing wrong with the responses since the last call."""
    found = drain_failures()
    assert not found, f"{label}: the app's contract check (tests/contract.py) failed:\n" + "\n".join(f"- {f}" for f in found)


def _send(case, app, actor, label: str):
    app.extensions["platform_ratelimit"].reset()
    response = case.call(app=app, headers=actor.auth)
    found = drain_failures()  # taken now, so that a failing check below leaves none for teardown
    case.validate_response(response, checks=CHECKS)
    text = response.text if isinstance(response.text, str) else ""
    match = TRACE.search(text)
    assert match is None, f"{label}: the response shows a stack trace ({match.group(0)!r}): {text[:800]}"
    assert not found, f"{label}: the app's contract check (tests/contract.py) failed:\n" + "\n".join(f"- {f}" for f in found)
    return response


_CREATORS = {str(op): op for op in CREATABLE}


def _hidden_from_outsider(client, op, response, owner, outsider) -> None:
    """Cross-member check: what `owner` just made, `outsider` must not get (item or any page of
    the collection) unless it is published/active."""
    if response.status_code != 201:
        return
    obj = response.json()
    ident, status = obj["id"], obj.get("status")
    public = status in PUBLIC or (status is None and obj.get("active") is True)
    item_op = next(o for o in spec.operations() if o.method == "get" and o.path.startswith(op.path + "/{")
                   and o.path.count("/") == op.path.count("/") + 1)
    where = f"{outsider.name} reading {op.path}/{ident} ({status or 'no status'}) made by {owner.name}"
    resp = send(client, "get", expand(item_op.path, {item_op.path_params[-1].name: ident}), actor=outsider)
    items, err = _all_pages(client, op.path, outsider, {})
    _contract_kept(f"{outsider.name} reading what {owner.name} made")
    assert resp.status_code == (200 if public else 404), f"{where}: {resp.status_code} {resp.get_data(as_text=True)[:500]}"
    assert err is None, f"{where}: listing {op.path}: {err.status_code}"
    assert public or ident not in _ids(items), f"{where}: listed by GET {op.path}"


@pytest.fixture
def real_objects(client, world):
    """Per operation: real path values and their owner (None when none can be made), found once."""
    cache: dict = {}

    def get(op):
        if op.id not in cache:
            try:
                values = path_values(client, world, op)
                owner = owner_of(client, world, op)
                values.update({p.name: owner.member.id for p in op.path_params if p.name == "member_id"})
                cache[op.id] = (values, owner)
            except Unresolvable:
                cache[op.id] = None
            _contract_kept(f"making objects to address {op}")
        return cache[op.id]

    return get


@schema.parametrize()
@hypothesis.settings(hypothesis.settings.get_profile("fuzz"))
def test_every_operation_keeps_the_contract(case, app, client, world, real_objects):
    _contract_kept("before the example")
    op = spec.find(case.method.lower(), case.path)
    creating = str(op) in _CREATORS
    for actor, other in ((world.a, world.b), (world.b, world.a)):
        response = _send(case, app, actor, f"as member {actor.name}")
        if creating:
            _hidden_from_outsider(client, op, response, actor, other)
    if creating and op.json_body and isinstance(case.body, dict):
        # Generated IDs name nothing: point reference fields at real objects (the hostile suite's
        # helpers), so that creating succeeds for the member allowed to (A, or the investor).
        for actor in (world.a, world.inv):
            case.body = fix_references(client, world, actor, case.body)
            _contract_kept(f"making objects to refer to from {op}")
            response = _send(case, app, actor, f"as member {actor.name} with real references")
            _hidden_from_outsider(client, op, response, actor, world.b)
    if op is None or not op.path_params:
        return
    found = real_objects(op)
    if found is None:
        return
    values, owner = found
    case.path_parameters = {**(case.path_parameters or {}), **values}
    if op.header("If-Match"):
        case.headers = {**(case.headers or {}), "If-Match": "*"}  # a generated ETag never matches
    for actor in (owner, world.b):
        _send(case, app, actor, f"as member {actor.name} on a real object {values}")
