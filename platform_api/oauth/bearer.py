"""The token check every protected request makes: one indexed lookup by token hash (or none, when
the worker's credential cache holds it: oauth/credential_cache.py).

Two schemes: `Authorization: Bearer <token>` for bearer tokens, and `Authorization: DPoP <token>`
with a `DPoP` proof header for tokens bound to a key (RFC 9449 7; oauth/dpop.py). A bound token
sent as Bearer is refused, and so is a bearer token sent as DPoP. The proof and the binding are
checked on every request, outside the cache (which only saves the read of the token's row).
"""

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
from . import dpop
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
    dpop_jkt: str | None  # the thumbprint of the key the token is bound to; None: a bearer token


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

    __slots__ = ("token", "client", "member_id", "member_row", "user", "scopes", "_member_values", "_member",
                 "scheme")

    def __init__(self, token: TokenInfo, client: ClientInfo, member_values: dict, user: PersonInfo | None,
                 scopes: frozenset[str], scheme: str = "Bearer"):
        self.scheme = scheme  # how the token was sent: "Bearer" or "DPoP"
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


def _credentials() -> tuple[str, str]:
    """The scheme ("Bearer" or "DPoP") and the access token of the Authorization header."""
    if "access_token" in request.args:
        raise BadRequest("Access tokens in the query string are refused; send them in the Authorization header.")
    header = request.headers.get("Authorization")
    if not header:
        raise Unauthorized("This endpoint needs an access token in the Authorization header.", error=None,
                           dpop_algs=dpop.ALGORITHMS)
    scheme, _, value = header.partition(" ")
    scheme = {"bearer": "Bearer", "dpop": "DPoP"}.get(scheme.lower())
    if scheme is None or not value.strip():
        raise Unauthorized("The Authorization header must be 'Bearer <access token>' or, for a DPoP-bound "
                           "token, 'DPoP <access token>'.", error="invalid_request")
    return scheme, value.strip()


def _refused(detail: str, scheme: str, error: str = "invalid_token") -> Unauthorized:
    return Unauthorized(detail, error=error, scheme=scheme, dpop_algs=dpop.ALGORITHMS)


# One round trip: the token by its hash, with everything that decides whether it may act.
_MEMBER_ATTRS = column_attrs(Member)
_REST = [
    Token.id, Token.scope, Token.revoked_at, Token.access_expires_at, Token.dpop_jkt,
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
    """The principal behind the request's access token (and DPoP proof), or 401."""
    if "principal" in g:
        return g.principal
    scheme, value = _credentials()
    proof = None
    if scheme == "DPoP":
        # RFC 9449 7.1: a proof of this very request (htm, htu, iat, a new jti) for this token (ath).
        try:
            proof = dpop.check_request(access_token=value)
        except dpop.DPoPError as exc:
            raise _refused(exc.description, scheme, "invalid_dpop_proof") from None
        if proof is None:
            raise _refused("A DPoP access token needs a DPoP proof of this request in the DPoP header.", scheme,
                           "invalid_dpop_proof")
    token_hash = secret_hash(value)
    # Only a row that passes the rules is kept (refs() applies them); they run again on every
    # request, cached or not.
    row = through_cache(("bearer", token_hash), lambda: _read_bearer(token_hash),
                        lambda row: _principal(row, scheme).refs)
    if row is None:
        raise _refused("The access token is invalid, expired or revoked.", scheme)
    principal = _principal(row, scheme)
    bound = principal.token.dpop_jkt
    if scheme == "Bearer" and bound is not None:
        # RFC 9449 7.1: the DPoP scheme's challenge, since that is how this token must come.
        raise _refused("This access token is bound to a DPoP key: send it as 'Authorization: DPoP <token>' "
                       "with a DPoP proof.", "DPoP")
    if scheme == "DPoP":
        if bound is None:
            raise _refused("This access token is not DPoP-bound: send it as 'Authorization: Bearer <token>'.",
                           scheme)
        if bound != proof.jkt:
            raise _refused("Invalid DPoP key binding: the proof is signed by another key than the one this "
                           "access token is bound to.", scheme)
    g.principal = principal
    return principal


def _principal(row: tuple, scheme: str = "Bearer") -> Principal:
    """The rules every request's token must pass, on the row as read (or as the cache kept it)."""
    n = len(_MEMBER_ATTRS)
    member = {key: row[i] for i, (key, _) in enumerate(_MEMBER_ATTRS)}
    (token_id, scope, token_revoked, expires, dpop_jkt, client_pk, client_id, client_name, client_type,
     client_revoked, user_id, user_email, user_role, user_disabled, user_member) = row[n:]
    if token_revoked is not None or expires <= utcnow() or client_revoked is not None:
        raise _refused("The access token is invalid, expired or revoked.", scheme)
    if member["status"] != "active":
        raise _refused("The member behind this token is not active.", scheme)
    person = None
    if user_id is not None:
        if user_disabled is not None or user_member != member["id"]:
            raise _refused("The person behind this token can no longer sign in.", scheme)
        person = PersonInfo(user_id, user_email, user_role)
    return Principal(
        TokenInfo(token_id, scope, expires, dpop_jkt),
        ClientInfo(client_pk, client_id, client_name, client_type),
        member,
        person,
        frozenset(scope.split()),
        scheme,
    )


def current_principal() -> Principal:
    return g.principal
