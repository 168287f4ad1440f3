"""The bearer check every protected request makes: one indexed lookup by token hash (or none, when
the worker's credential cache holds it: oauth/credential_cache.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import g, request
from sqlalchemy import bindparam, select

from ..accounts.models import User
from ..db import adopt, column_attrs, session, utcnow
from ..errors import BadRequest, Unauthorized
from ..members.models import Member, MemberRow
from ..security import secret_hash
from .credential_cache import through_cache
from .models import OAuthClient, Token


@dataclass(frozen=True, slots=True)
class ClientInfo:
    id: str
    client_id: str
    name: str
    client_type: str


@dataclass(frozen=True, slots=True)
class TokenInfo:
    id: str
    scope: str
    access_expires_at: datetime


@dataclass(frozen=True, slots=True)
class PersonInfo:
    id: str
    email: str
    role: str


class Principal:
    """Who is calling: the member, and plain facts about client, token and person.

    `member_row` is the member as the bearer lookup read it (for views that only show it);
    `member` is the same row as an ORM object of the request's session (for services that take
    one), put there on first use without another query.
    """

    __slots__ = ("token", "client", "member_id", "member_row", "user", "scopes", "_member_values", "_member")

    def __init__(self, token: TokenInfo, client: ClientInfo, member_values: dict, user: PersonInfo | None,
                 scopes: frozenset[str]):
        self.token = token
        self.client = client
        self.member_id: str = member_values["id"]
        self.member_row = MemberRow(member_values)
        self.user = user
        self.scopes = scopes
        self._member_values = member_values
        self._member: Member | None = None

    @property
    def refs(self) -> list[str]:
        """The rows this principal was read from, as the credential cache names them."""
        refs = [f"t:{self.token.id}", f"c:{self.client.id}", f"m:{self.member_id}"]
        if self.user is not None:
            refs.append(f"u:{self.user.id}")
        return refs

    @property
    def member(self) -> Member:
        if self._member is None:
            self._member = adopt(session(), Member, self._member_values)
        return self._member


def _bearer_value() -> str:
    if "access_token" in request.args:
        raise BadRequest("Access tokens in the query string are refused; send them in the Authorization header.")
    header = request.headers.get("Authorization")
    if not header:
        raise Unauthorized("This endpoint needs a bearer token in the Authorization header.", error=None)
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Unauthorized("The Authorization header must be 'Bearer <access token>'.", error="invalid_request")
    return value.strip()


# One round trip: the token by its hash, with everything that decides whether it may act.
_MEMBER_ATTRS = column_attrs(Member)
_REST = [
    Token.id, Token.scope, Token.revoked_at, Token.access_expires_at,
    OAuthClient.id, OAuthClient.client_id, OAuthClient.name, OAuthClient.client_type, OAuthClient.revoked_at,
    User.id, User.email, User.role, User.disabled_at, User.member_id,
]
_BEARER = (
    select(*[col for _, col in _MEMBER_ATTRS], *_REST)
    .select_from(Token)
    .join(OAuthClient, OAuthClient.id == Token.client_pk)
    .join(Member, Member.id == Token.member_id)
    .outerjoin(User, User.id == Token.user_id)
    .where(Token.access_token_hash == bindparam("token_hash"))
)


def _read_bearer(token_hash: str) -> tuple | None:
    # On the Session's connection (Core, not the ORM layer: plain rows, a quarter of the CPU).
    row = session().connection().execute(_BEARER, {"token_hash": token_hash}).first()
    return None if row is None else tuple(row)


def authenticate() -> Principal:
    """The principal behind the request's bearer token, or 401."""
    if "principal" in g:
        return g.principal
    token_hash = secret_hash(_bearer_value())
    # Only a row that passes the rules is kept (refs() applies them); they run again on every
    # request, cached or not.
    row = through_cache(("bearer", token_hash), lambda: _read_bearer(token_hash),
                        lambda row: _principal(row).refs)
    if row is None:
        raise Unauthorized("The access token is invalid, expired or revoked.")
    principal = _principal(row)
    g.principal = principal
    return principal


def _principal(row: tuple) -> Principal:
    """The rules every request's token must pass, on the row as read (or as the cache kept it)."""
    n = len(_MEMBER_ATTRS)
    member = {key: row[i] for i, (key, _) in enumerate(_MEMBER_ATTRS)}
    (token_id, scope, token_revoked, expires, client_pk, client_id, client_name, client_type, client_revoked,
     user_id, user_email, user_role, user_disabled, user_member) = row[n:]
    if token_revoked is not None or expires <= utcnow() or client_revoked is not None:
        raise Unauthorized("The access token is invalid, expired or revoked.")
    if member["status"] != "active":
        raise Unauthorized("The member behind this token is not active.")
    person = None
    if user_id is not None:
        if user_disabled is not None or user_member != member["id"]:
            raise Unauthorized("The person behind this token can no longer sign in.")
        person = PersonInfo(user_id, user_email, user_role)
    return Principal(
        TokenInfo(token_id, scope, expires),
        ClientInfo(client_pk, client_id, client_name, client_type),
        member,
        person,
        frozenset(scope.split()),
    )


def current_principal() -> Principal:
    return g.principal
