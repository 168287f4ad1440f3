"""The bearer check every protected request makes: one indexed lookup by token hash."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import g, request
from sqlalchemy import bindparam, select

from ..accounts.models import User
from ..db import session, utcnow
from ..errors import BadRequest, Unauthorized
from ..members.models import Member
from ..security import secret_hash
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


@dataclass(frozen=True)
class Principal:
    """Who is calling: the member (a loaded Member), and plain facts about client, token, person."""

    token: TokenInfo
    client: ClientInfo
    member: Member
    user: PersonInfo | None
    scopes: frozenset[str]

    @property
    def member_id(self) -> str:
        return self.member.id


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
_BEARER = (
    select(
        Member,
        Token.id, Token.scope, Token.revoked_at, Token.access_expires_at,
        OAuthClient.id, OAuthClient.client_id, OAuthClient.name, OAuthClient.client_type, OAuthClient.revoked_at,
        User.id, User.email, User.role, User.disabled_at, User.member_id,
    )
    .select_from(Token)
    .join(OAuthClient, Token.client_pk == OAuthClient.id)
    .join(Member, Token.member_id == Member.id)
    .outerjoin(User, Token.user_id == User.id)
    # Built once with a bound parameter, so SQLAlchemy does not rebuild its cache key per request.
    .where(Token.access_token_hash == bindparam("token_hash"))
)


def authenticate() -> Principal:
    """The principal behind the request's bearer token, or 401."""
    if "principal" in g:
        return g.principal
    value = _bearer_value()
    row = session().execute(_BEARER, {"token_hash": secret_hash(value)}).first()
    if row is None:
        raise Unauthorized("The access token is invalid, expired or revoked.")
    (member, token_id, scope, token_revoked, expires, client_pk, client_id, client_name, client_type, client_revoked,
     user_id, user_email, user_role, user_disabled, user_member) = row
    if token_revoked is not None or expires <= utcnow() or client_revoked is not None:
        raise Unauthorized("The access token is invalid, expired or revoked.")
    if member.status != "active":
        raise Unauthorized("The member behind this token is not active.")
    person = None
    if user_id is not None:
        if user_disabled is not None or user_member != member.id:
            raise Unauthorized("The person behind this token can no longer sign in.")
        person = PersonInfo(user_id, user_email, user_role)
    principal = Principal(
        TokenInfo(token_id, scope, expires),
        ClientInfo(client_pk, client_id, client_name, client_type),
        member,
        person,
        frozenset(scope.split()),
    )
    g.principal = principal
    return principal


def current_principal() -> Principal:
    return g.principal
