"""The bearer check every protected request makes: one indexed lookup by token hash."""

from __future__ import annotations

from dataclasses import dataclass

from flask import g, request
from sqlalchemy import select
from sqlalchemy.orm import lazyload

from ..accounts.models import User
from ..db import session, utcnow
from ..errors import BadRequest, Unauthorized
from ..members.models import Member
from ..security import secret_hash
from .models import OAuthClient, Token


@dataclass(frozen=True)
class Principal:
    token: Token
    client: OAuthClient
    member: Member
    user: User | None
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


def authenticate() -> Principal:
    """The principal behind the request's bearer token, or 401."""
    if "principal" in g:
        return g.principal
    value = _bearer_value()
    stmt = (
        select(Token, OAuthClient, Member, User)
        .join(OAuthClient, Token.client_pk == OAuthClient.id)
        .join(Member, Token.member_id == Member.id)
        .outerjoin(User, Token.user_id == User.id)
        .where(Token.access_token_hash == secret_hash(value))
        .options(lazyload("*"))
    )
    row = session().execute(stmt).first()
    if row is None:
        raise Unauthorized("The access token is invalid, expired or revoked.")
    token, client, member, user = row
    if token.revoked_at is not None or token.access_expires_at <= utcnow() or client.revoked_at is not None:
        raise Unauthorized("The access token is invalid, expired or revoked.")
    if member.status != "active":
        raise Unauthorized("The member behind this token is not active.")
    if user is not None and (user.disabled_at is not None or user.member_id != member.id):
        raise Unauthorized("The person behind this token can no longer sign in.")
    principal = Principal(token, client, member, user, frozenset(token.scope.split()))
    g.principal = principal
    return principal


def current_principal() -> Principal:
    return g.principal
