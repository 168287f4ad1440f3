"""Members with real tokens, and a way to build a valid request for any operation in the spec."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from urllib.parse import quote

import pytest

from platform_api.config import DEFAULT_SCOPES
from tests.factories.accounts import UserFactory
from tests.factories.members import MemberFactory
from tests.factories.oauth import make_client, make_public_client, make_token

from . import spec

# What must never reach a response body: traces, driver and file names, SQL.
LEAKS = re.compile(
    r"Traceback|File \"|\.py\b|site-packages|/work/|/usr/lib|/root/|sqlalchemy|psycopg|sqlite3?\b|"
    r"IntegrityError|OperationalError|DataError|ProgrammingError|UnicodeEncodeError|UnicodeDecodeError|"
    r"KeyError|TypeError|ValueError|AttributeError|RecursionError|Exception\b|werkzeug|jinja2",
    re.IGNORECASE,
)
SQL = re.compile(r"\bSELECT\b.+\bFROM\b|\bINSERT INTO\b|\bUPDATE\b.+\bSET\b|\bDELETE FROM\b|\bWHERE\b.+=")


@dataclass
class Actor:
    name: str
    member: object
    client: object
    secret: str
    token: str

    @property
    def auth(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class World:
    a: Actor  # the caller of most checks: a university
    b: Actor  # another member, who must never see A's private objects (nor A theirs)
    c: Actor  # a third member, e.g. the respondent of a referral
    adr: Actor  # an ADR institution
    inv: Actor  # an investor
    pending: object
    suspended: object
    terminated: object
    user_id: str
    public_client_id: str
    redirect_uri: str
    created: dict = field(default_factory=dict)  # collection path -> ID of an object made there
    owners: dict = field(default_factory=dict)  # collection path -> the actor who made it
    kinds: dict = field(default_factory=dict)  # ID -> the path parameter that names it

    @property
    def creators(self) -> list[Actor]:
        """Who may make objects, in order of preference (never B: B is the outsider)."""
        return [self.a, self.inv, self.adr, self.c]

    def ids_by_kind(self) -> list[tuple[str, str]]:
        """(kind, ID) of every object the world holds; the kind is the path parameter naming it."""
        out = [
            ("member_id", self.a.member.id),
            ("member_id", self.b.member.id),
            ("member_id", self.pending.id),
            ("oauth client row", self.a.client.id),
            ("user", self.user_id),
        ]
        out += [(kind, ident) for ident, kind in self.kinds.items()]
        return out


def _actor(label: str, **member_kwargs) -> Actor:
    member = MemberFactory(**member_kwargs)
    client, secret = make_client(member=member, scopes=list(DEFAULT_SCOPES))
    _token, value = make_token(client)
    return Actor(label, member, client, secret, value)


@pytest.fixture
def world() -> World:
    a = _actor("A", name="Hostile Test University A", country="CN")
    b = _actor("B", name="Hostile Test Enterprise B", country="DE", kind="enterprise")
    c = _actor("C", name="Hostile Test Institute C", country="FR", kind="research_institute")
    adr = _actor("ADR", name="Hostile Test Arbitration Centre", country="CH", kind="adr_institution")
    inv = _actor("INV", name="Hostile Test Fund", country="SG", kind="investor")
    user = UserFactory(member=a.member)
    public = make_public_client(member=a.member, scopes=list(DEFAULT_SCOPES))
    return World(
        a=a,
        b=b,
        c=c,
        adr=adr,
        inv=inv,
        pending=MemberFactory(status="pending"),
        suspended=MemberFactory(status="suspended"),
        terminated=MemberFactory(status="terminated"),
        user_id=user.id,
        public_client_id=public.client_id,
        redirect_uri=public.redirect_uris[0],
    )


# --- bugs known today ------------------------------------------------------------------------
# (test function, "METHOD /path") -> what is wrong and where. Each case is a strict xfail: when
# the bug is fixed the test passes, pytest reports XPASS(strict) as a failure, and the entry
# must be removed here.
KNOWN_BUGS: dict[tuple[str, str], str] = {}


def cases(test: str, ops) -> list:
    """`ops` as pytest params, the known bugs among them marked as strict xfails."""
    out = []
    for op in ops:
        reason = KNOWN_BUGS.get((test, str(op)))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        out.append(pytest.param(op, id=str(op), marks=marks))
    return out


# --- sending requests ------------------------------------------------------------------------


def send(client, method: str, path: str, *, actor: Actor | None = None, body=None, raw: bytes | None = None,
         content_type: str | None = None, headers: dict | None = None, query: str | None = None):
    h = dict(actor.auth if actor else {})
    h.update(headers or {})
    kwargs = {}
    if raw is not None:
        kwargs["data"] = raw
        kwargs["content_type"] = content_type or "application/json"
    elif body is not None:
        if content_type == "application/x-www-form-urlencoded":
            kwargs["data"] = body
        else:
            kwargs["data"] = json.dumps(body)
            kwargs["content_type"] = content_type or "application/json"
    return client.open(path, method=method.upper(), headers=h, query_string=query, **kwargs)


def assert_no_leak(resp, where: str) -> None:
    text = resp.get_data(as_text=True)
    assert resp.status_code < 500, f"{where}: {resp.status_code} (a 500 is a bug): {text[:800]}"
    match = LEAKS.search(text) or SQL.search(text)
    assert match is None, f"{where}: the response shows {match.group(0)!r}: {text[:800]}"


def assert_problem(resp, where: str, statuses=None) -> dict:
    """A clear 4xx problem document (or, under /oauth, an RFC 6749 error), with nothing leaked."""
    assert_no_leak(resp, where)
    if statuses is not None:
        assert resp.status_code in statuses, f"{where}: expected {sorted(statuses)}, got {resp.status_code}: {resp.get_data(as_text=True)[:800]}"
    else:
        assert 400 <= resp.status_code < 500, f"{where}: expected a 4xx, got {resp.status_code}: {resp.get_data(as_text=True)[:800]}"
    if resp.mimetype == "application/problem+json":
        body = resp.get_json()
        for key in ("type", "title", "status", "detail", "instance"):
            assert key in body, f"{where}: problem without {key}: {body}"
        assert body["status"] == resp.status_code, f"{where}: {body}"
        assert body["type"].startswith("/problems/"), f"{where}: {body}"
        return body
    if resp.mimetype == "application/json":
        body = resp.get_json()
        assert "error" in body, f"{where}: JSON error without 'error': {body}"
        return body
    assert resp.mimetype == "text/html", f"{where}: error in {resp.mimetype}: {resp.get_data(as_text=True)[:400]}"
    return {}


def expand(path: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        path = path.replace("{" + name + "}", quote(value, safe=""))
    return path


def required_query(world: World, op: spec.Operation) -> dict:
    """Values for the operation's required query parameters (a real authorization request for
    /oauth/authorize, samples from the schema otherwise)."""
    known = {
        "client_id": world.public_client_id,
        "redirect_uri": world.redirect_uri,
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "state": "hostile-state",
    }
    out = {}
    for p in op.query_params:
        if p.required:
            out[p.name] = known.get(p.name, spec.sample(p.schema))
    return out


@dataclass
class Target:
    path: str
    headers: dict
    query: dict
    actor: Actor


def target(client, world: World, op: spec.Operation, *, fresh: bool = False) -> Target:
    """Where and as whom to send anything to `op`: real IDs in the path, the member who owns
    them (or who may create there), and the headers and query the operation requires."""
    try:
        values = path_values(client, world, op, fresh=fresh)
        actor = owner_of(client, world, op)
    except Unresolvable as exc:
        pytest.fail(
            f"{op}: cannot make an object to address it ({exc}); teach tests/hostile/conftest.py "
            "(resolve_id / REFERENCES / World.creators) how to make one",
            pytrace=False,
        )
    values.update({p.name: actor.member.id for p in op.path_params if p.name == "member_id"})
    headers = {"If-Match": "*"} if op.header("If-Match") else {}
    if op.header("Idempotency-Key"):
        headers["Idempotency-Key"] = uuid.uuid4().hex
    return Target(expand(op.path, values), headers, required_query(world, op), actor)


# --- valid requests, found by trying ---------------------------------------------------------

def _published_technology(client, world: World, actor: Actor) -> str:
    """A new listing of A's, made through the API and published as platform staff would."""
    from platform_api.technologies import services as technologies
    from platform_api.technologies.models import Technology
    from tests.factories.base import current_session

    creator = spec.find("post", "/v1/technologies")
    made = valid_request(client, world, creator, actors=[world.a])
    ident = made.response.get_json()["id"]
    s = current_session()
    tech = s.get(Technology, ident)
    for action in ("submit", "approve"):
        technologies.transition(session=s, tech=tech, action=action)
    s.flush()
    world.kinds[ident] = "technology_id"
    return ident


def _investor_profile(client, world: World, actor: Actor) -> str:
    creator = spec.find("post", "/v1/investor-profiles")
    made = valid_request(client, world, creator, actors=[world.inv])
    ident = made.response.get_json()["id"]
    world.kinds[ident] = "investor_profile_id"
    return ident


# Request fields that name other objects, by name: what a valid request should point at. The
# objects made through the API are new each time (a match, say, is unique per listing and profile).
REFERENCES = {
    "institution_id": lambda client, w, actor: w.adr.member.id,
    "member_id": lambda client, w, actor: (w.c if actor is not w.c else w.inv).member.id,
    "technology_id": _published_technology,
    "investor_profile_id": _investor_profile,
}
DROP_IF_UNRESOLVED = re.compile(r"_id$")


def fix_references(client, world: World, actor: Actor, body):
    """Point ID fields of an example at objects that exist (or drop the optional ones)."""
    if isinstance(body, list):
        return [fix_references(client, world, actor, x) for x in body]
    if not isinstance(body, dict):
        return body
    out = {}
    for key, value in body.items():
        if key in REFERENCES and isinstance(value, str):
            out[key] = REFERENCES[key](client, world, actor)
        elif DROP_IF_UNRESOLVED.search(key) and isinstance(value, str) and _uuidish(value):
            continue  # an ID of something the test world does not have
        else:
            out[key] = fix_references(client, world, actor, value)
    return out


def _uuidish(value: str) -> bool:
    try:
        uuid.UUID(value)
        return True
    except ValueError:
        return False


@dataclass
class Prepared:
    op: spec.Operation
    actor: Actor
    path: str
    path_values: dict
    body: object = None
    response: object = None
    candidate: object = None

    @property
    def headers(self) -> dict:
        return {"If-Match": "*"} if self.op.header("If-Match") else {}


class Unresolvable(Exception):
    pass


def _collection(path: str, name: str) -> str:
    return path.split("/{" + name + "}")[0]


def _webhook_deliveries(client, world: World, endpoint_id: str) -> None:
    """Deliveries for a new webhook endpoint: events after it (a listing published by A), fanned
    out by the dispatcher as the worker would, without sending them."""
    from platform_api.db import utcnow
    from platform_api.webhooks.dispatch import dispatch
    from tests.factories.base import current_session

    _published_technology(client, world, world.a)
    s = current_session()
    s.commit()  # the events are written at commit
    dispatch(s, now=utcnow())
    s.flush()


def _webhook_delivery(client, world: World, path: str) -> str:
    """A delivery of the webhook endpoint in `path`."""
    from sqlalchemy import select

    from platform_api.webhooks.models import WebhookDelivery
    from tests.factories.base import current_session

    endpoint_id = world.created["/v1/webhook-endpoints"]
    ident = current_session().scalars(
        select(WebhookDelivery.id).where(WebhookDelivery.endpoint_id == endpoint_id).order_by(WebhookDelivery.id)
    ).first()
    if ident is None:
        raise Unresolvable(f"the webhook endpoint of {path} has no delivery")
    world.kinds[ident] = "delivery_id"
    return ident


# Objects made after the creating POST of their collection, and objects no POST makes.
AFTER_CREATE = {"/v1/webhook-endpoints": _webhook_deliveries}
def _event(client, world: World, path: str) -> str:
    """Events are made by other operations: A's new listing tells A of itself."""
    made = valid_request(client, world, spec.find("post", "/v1/technologies"), actors=[world.a])
    stream = send(client, "get", "/v1/events", actor=world.a, query={"type": "technology.created", "limit": 100})
    [ident] = [e["id"] for e in stream.get_json()["data"] if e["data"]["object"]["id"] == made.response.get_json()["id"]]
    collection = _collection(path, "event_id")
    world.created[collection], world.owners[collection], world.kinds[ident] = ident, world.a, "event_id"
    return ident


MADE_OTHERWISE = {"delivery_id": _webhook_delivery, "event_id": _event}


def resolve_id(client, world: World, path: str, name: str, *, fresh: bool = False) -> str | None:
    """An ID for `{name}` in `path`: an object made through the API's creating POST by the first
    of World.creators allowed to. None for `{member_id}`: the acting member itself."""
    collection = _collection(path, name)
    if collection in world.created and not fresh:
        return world.created[collection]
    creator = spec.find("post", collection)
    if creator is not None and creator.body_schema is not None:
        made = valid_request(client, world, creator, actors=world.creators)
        ident = (made.response.get_json() or {}).get("id")
        if not ident:
            raise Unresolvable(f"{creator} answered without an id: {made.response.get_json()}")
        world.created[collection] = ident
        world.owners[collection] = made.actor
        world.kinds[ident] = name
        if collection in AFTER_CREATE:
            AFTER_CREATE[collection](client, world, ident)
        return ident
    if name in MADE_OTHERWISE:
        return MADE_OTHERWISE[name](client, world, path)
    if name == "member_id":
        return None
    raise Unresolvable(f"no way to make an object for {{{name}}} in {path}")


def path_values(client, world: World, op: spec.Operation, actor: Actor | None = None, *, fresh: bool = False) -> dict:
    """Real values for the path's parameters (`{member_id}`: the acting member's own)."""
    values = {}
    for p in op.path_params:
        enum = next((v["enum"] for v in spec.variants(p.schema) if v.get("enum")), None)
        if enum:
            values[p.name] = enum[0]
            continue
        ident = resolve_id(client, world, op.path, p.name, fresh=fresh)
        values[p.name] = ident if ident is not None else (actor or owner_of(client, world, op)).member.id
    return values


def owner_of(client, world: World, op: spec.Operation) -> Actor:
    """Who acts on `op` in the checks: the owner of the objects in its path, or whoever may
    create in its collection, or A."""
    for p in op.path_params:
        collection = _collection(op.path, p.name)
        if collection in world.owners:
            return world.owners[collection]
    if op.method == "post" and not op.path_params and op.body_schema is not None and op.is_api:
        if op.path not in world.owners:
            made = valid_request(client, world, op, actors=world.creators)
            world.owners[op.path] = made.actor
        return world.owners[op.path]
    return world.a


# What worked before, per operation: tried first next time (every test builds the same world).
_WINNERS: dict[str, tuple[int, str]] = {}
_ACCEPTED: dict[str, list[tuple[int, str]]] = {}


def valid_request(client, world: World, op: spec.Operation, *, actors=None, body=None, fresh: bool = False) -> Prepared:
    """Find a body (examples first, then samples) and an actor with which `op` succeeds."""
    actors = list(actors or world.creators)
    candidates = [body] if body is not None else (spec.candidate_bodies(op) if op.body_schema is not None else [None])
    order = [(i, a) for i in range(len(candidates)) for a in actors]
    best = _WINNERS.get(op.id) if body is None else None
    if best is not None:
        order.sort(key=lambda pair: (pair[0], pair[1].name) != best)
    base = path_values(client, world, op, world.a, fresh=fresh)
    tried: list[str] = []
    prepared = _attempt(client, world, op, candidates, order, base, tried)
    if prepared is None and any(" -> 409 " in t for t in tried) and _advance(client, world, op, base):
        prepared = _attempt(client, world, op, candidates, order, base, tried)
    if prepared is None:
        raise Unresolvable(f"no valid request found for {op}:\n" + "\n".join(tried))
    if body is None:
        _WINNERS[op.id] = (candidates.index(prepared.candidate), prepared.actor.name)
    return prepared


def _advance(client, world: World, op: spec.Operation, base: dict) -> bool:
    """The object is in the wrong state for `op` (409): take one step with a sibling action that
    needs no body (say, accept before close), by whoever may. Whether a step was taken."""
    parent = op.path.rsplit("/", 1)[0]
    for sibling in spec.operations():
        if sibling is op or sibling.method != "post" or sibling.rsplit_parent != parent or sibling.body_required:
            continue
        for actor in world.creators:
            resp = send(client, "post", expand(sibling.path, base), actor=actor)
            if 200 <= resp.status_code < 300:
                return True
    return False


def fresh_values(client, world: World, op: spec.Operation, actor: Actor) -> dict:
    """Path values naming new objects (and `actor`'s own member for `{member_id}`)."""
    values = path_values(client, world, op, actor, fresh=True)
    values.update({p.name: actor.member.id for p in op.path_params if p.name == "member_id"})
    return values


def send_ready(client, world: World, op: spec.Operation, values: dict, actor: Actor, **kwargs):
    """Send to `op` at `values`; on a 409 (wrong state) take one sibling step and send again."""
    path = expand(op.path, values)
    resp = send(client, op.method, path, actor=actor, **kwargs)
    if resp.status_code == 409 and op.path_params and _advance(client, world, op, values):
        resp = send(client, op.method, path, actor=actor, **kwargs)
    return resp


def _attempt(client, world, op, candidates, order, base, tried):
    for index, actor in order:
        candidate = candidates[index]
        values = {**base, **{p.name: actor.member.id for p in op.path_params if p.name == "member_id"}}
        path = expand(op.path, values)
        sent = fix_references(client, world, actor, candidate) if candidate is not None and op.json_body else candidate
        prepared = Prepared(op, actor, path, values, sent)
        headers = dict(prepared.headers)
        if op.header("Idempotency-Key"):
            headers["Idempotency-Key"] = uuid.uuid4().hex
        resp = send(client, op.method, path, actor=actor, body=sent, content_type=op.media_type, headers=headers)
        if 200 <= resp.status_code < 300:
            prepared.response = resp
            prepared.candidate = candidate
            return prepared
        tried.append(
            f"{actor.name} {json.dumps(sent, ensure_ascii=False)[:300]} -> "
            f"{resp.status_code} {resp.get_data(as_text=True)[:300]}"
        )
    return None


def accepted_bodies(client, world: World, op: spec.Operation, actors=None) -> list[Prepared]:
    """Every candidate body the operation accepts from some actor, each tried on fresh objects."""
    candidates = spec.candidate_bodies(op)
    actors = list(actors or world.creators)
    by_name = {a.name: a for a in actors}
    known = _ACCEPTED.get(op.id)
    out = []
    if known is not None and all(name in by_name for _i, name in known):
        for index, name in known:
            try:
                out.append(valid_request(client, world, op, body=candidates[index], fresh=True, actors=[by_name[name]]))
            except Unresolvable:
                known = None  # the world changed: search again
                out = []
                break
        if known is not None:
            return out
    found = []
    for index, candidate in enumerate(candidates):
        try:
            prepared = valid_request(client, world, op, body=candidate, fresh=True, actors=actors)
        except Unresolvable:
            continue
        out.append(prepared)
        found.append((index, prepared.actor.name))
    _ACCEPTED[op.id] = found
    return out


class Soft:
    """Collect every failed check of a test, so that one run reports all of them."""

    def __init__(self):
        self.failures: list[str] = []

    def check(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except AssertionError as exc:
            self.failures.append(str(exc).split("\nassert ")[0][:1200])
            return None

    def done(self) -> None:
        # Contract breaks count here too (not only at teardown), so that a known bug's xfail covers them.
        from tests.contract import drain_failures

        self.failures += [f"contract (openapi.yaml): {f}" for f in drain_failures()]
        if self.failures:
            pytest.fail(f"{len(self.failures)} failed checks:\n- " + "\n- ".join(self.failures), pytrace=False)


@pytest.fixture
def soft():
    return Soft()
