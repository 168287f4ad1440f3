"""Every ID format in every path parameter of every operation in openapi.yaml.

Quotes, NUL, 10 kB strings, Unicode, dot-segments, numbers and UUIDs of the wrong kind each
get a clear 4xx problem (404 for an ID of the right shape), never a 500 and never the object.
"""

from __future__ import annotations

import uuid

import pytest

from . import spec
from .conftest import Unresolvable, assert_problem, cases, expand, path_values, send, target

OPS = [o for o in spec.operations() if o.path_params]

MALFORMED = [
    "'",
    "''; DROP TABLE members; --",
    "\x00",
    "a\x00b",
    "x" * 10_240,
    "技术转移",
    "😀",
    "..",
    "..\\..\\windows",
    "-1",
    "0",
    "99999999999999999999999999",
    "1e9",
    "null",
    "undefined",
    "true",
    "[]",
    "{}",
    "<script>alert(1)</script>",
    "%",
    "%25",
    " ",
    "\ufeff",
    "\ud800".encode("utf-8", "surrogatepass").decode("latin-1"),
    "00000000-0000-0000-0000-000000000000",
    "ffffffff-ffff-ffff-ffff-ffffffffffff",
    "00000000000000000000000000000000",
]


def _variants_of(real: str) -> list[str]:
    """The caller's own real ID, disguised: none of these may find it."""
    return [
        real.upper(),
        "{" + real + "}",
        real + " ",
        " " + real,
        real + "\x00",
        real.replace("-", ""),
        "urn:uuid:" + real,
        real + "%00",
        real[:-1],
        real + "0",
    ]


def _check(client, world, op, soft, param: str, value: str, actor, body, statuses=frozenset({400, 404}), raw=False):
    values = path_values(client, world, op, actor)
    values[param] = value
    if raw:
        path = op.path
        for name, v in values.items():
            path = path.replace("{" + name + "}", v)
    else:
        path = expand(op.path, values)
    headers = {"If-Match": "*"} if op.header("If-Match") else {}
    if op.header("Idempotency-Key"):
        headers["Idempotency-Key"] = uuid.uuid4().hex
    resp = send(client, op.method, path, actor=actor, body=body, content_type=op.media_type, headers=headers)
    where = f"{op} with {{{param}}}={value[:40]!r}{' (unescaped)' if raw else ''}"
    soft.check(assert_problem, resp, where, statuses if op.is_api else {400, 404})
    return resp


def _body(client, world, op):
    if op.body_schema is None:
        return None
    return spec.candidate_bodies(op)[0]


@pytest.mark.parametrize("op", cases("test_malformed_ids_in_every_path_parameter", OPS))
def test_malformed_ids_in_every_path_parameter(client, world, op, soft):
    actor = target(client, world, op).actor  # every real object this path names exists: only the ID is wrong
    body = _body(client, world, op)
    for param in op.path_params:
        for value in MALFORMED:
            _check(client, world, op, soft, param.name, value, actor, body)
        for value in ("..", ".", "%2e%2e", "a?b=c", "a#b", "a;b", "%00"):
            # As a client that does not escape would send them: routing must not reach elsewhere.
            _check(client, world, op, soft, param.name, value, actor, body, statuses={400, 404, 405}, raw=True)
    soft.done()


@pytest.mark.parametrize("op", cases("test_disguised_real_ids_and_ids_of_the_wrong_kind_are_404", OPS))
def test_disguised_real_ids_and_ids_of_the_wrong_kind_are_404(client, world, op, soft):
    if not op.is_api:
        pytest.skip("no object IDs outside /v1")
    body = _body(client, world, op)
    # Make every kind of object first, so that each has an ID to misuse.
    for other in spec.operations():
        if other.is_api and other.path_params and other is not op:
            try:
                path_values(client, world, other, world.a)
            except Unresolvable:
                pass  # that operation's own tests say why
    actor = target(client, world, op).actor
    for param in op.path_params:
        real = path_values(client, world, op, actor)[param.name]
        for value in _variants_of(real):
            _check(client, world, op, soft, param.name, value, actor, body)
        for kind, ident in world.ids_by_kind():
            if kind != param.name:
                _check(client, world, op, soft, param.name, ident, actor, body, statuses={404})
        _check(client, world, op, soft, param.name, str(uuid.uuid4()), actor, body, statuses={404})
    soft.done()


SLASHES = ["../", "../../etc/passwd", "a/b", "/", "//", "%2F"]


@pytest.mark.parametrize("op", cases("test_slashes_in_ids_are_404_not_redirects", OPS))
def test_slashes_in_ids_are_404_not_redirects(client, world, op, soft):
    """A `/` in an ID (escaped or not: WSGI decodes %2F) must not be routed or redirected elsewhere."""
    actor = target(client, world, op).actor
    body = _body(client, world, op)
    for param in op.path_params:
        real = path_values(client, world, op, actor)[param.name]
        for value in [*SLASHES, real + "/", real + "//"]:
            _check(client, world, op, soft, param.name, value, actor, body)
            _check(client, world, op, soft, param.name, value, actor, body, statuses={400, 404, 405}, raw=True)
    soft.done()
