"""OAuth client registration, secret rotation, token revocation and the purge of expired credentials."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import datetime
from urllib.parse import urlsplit

from marshmallow import ValidationError
from sqlalchemy import and_, bindparam, delete, func, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from ..api.schemas import Text
from ..config import DEFAULT_SCOPES
from ..db import adopt, column_attrs, utcnow
from ..exceptions import Conflict, Invalid
from ..members.models import Member, MemberRow
from ..security import new_secret, secret_hash
from .credential_cache import through_cache
from .models import CLIENT_TYPES, GRANT_TYPES, AuthorizationCode, ClientRow, DPoPProof, OAuthClient, Token

LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
MAX_REDIRECT_URI = 2048  # the length oauth_authorization_codes.redirect_uri can hold

# Grants that exist in OAuth 2.0 but that this server will never offer (RFC 9700, OAuth 2.1).
UNSUPPORTED_GRANTS = {
    "implicit": "The implicit grant is not supported (it leaks tokens in URLs); "
    "use authorization_code with PKCE.",
    "password": "The password grant is not supported (it hands people's passwords to apps); "
    "use authorization_code.",
}

_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f]")


def redirect_uri_problem(uri: str) -> str | None:
    """Why a redirect URI may not be registered, or None if it may."""
    if not isinstance(uri, str) or not uri:
        return "Must not be empty."
    if len(uri) > MAX_REDIRECT_URI:
        return f"Must be at most {MAX_REDIRECT_URI} characters."
    if _CONTROL_OR_SPACE.search(uri):
        return "Must not contain spaces or control characters."
    if "*" in uri:
        return "Wildcards are not allowed; register each exact URI."
    if "#" in uri:
        return "Must not contain a fragment (#...)."
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return "Is not a valid URI."
    if not parts.scheme or not parts.netloc:
        return "Must be an absolute URI such as https://app.example/callback."
    if "@" in parts.netloc:
        return "Must not contain user information (user@host)."
    if not parts.hostname:
        return "Must name a host."
    if parts.scheme == "https":
        return None
    if parts.scheme == "http":
        if parts.hostname in LOOPBACK_HOSTS:
            return None
        return "http is allowed only on a loopback host (127.0.0.1, [::1], localhost); use https."
    return "Must use https (or http on a loopback host)."


def is_allowed_redirect_uri(uri: str) -> bool:
    """Whether a redirect URI may be registered: absolute https, or http on loopback; no fragment."""
    return redirect_uri_problem(uri) is None


def _unique(values) -> list[str]:
    return list(dict.fromkeys(v.strip() for v in values or () if isinstance(v, str)))


def check_registration(
    *, name: str, client_type: str, grant_types: list[str], scopes: list[str], redirect_uris: list[str]
) -> list[dict]:
    """Every problem with a client registration, as pointer errors (empty when it is valid)."""
    errors: list[dict] = []

    def add(pointer: str, detail: str) -> None:
        errors.append({"pointer": pointer, "detail": detail})

    try:
        Text(max_length=200).deserialize(name)
    except ValidationError as exc:
        for message in exc.messages:
            add("/name", message)
    if client_type not in CLIENT_TYPES:
        add("/client_type", f"Must be one of: {', '.join(CLIENT_TYPES)}.")
    if not grant_types:
        add("/grant_types", "Give at least one grant.")
    for grant in grant_types:
        if grant in UNSUPPORTED_GRANTS:
            add("/grant_types", UNSUPPORTED_GRANTS[grant])
        elif grant not in GRANT_TYPES:
            add("/grant_types", f"Unknown grant {grant!r}; must be one of: {', '.join(GRANT_TYPES)}.")
    if client_type == "public" and "client_credentials" in grant_types:
        add("/grant_types", "A public client cannot use client_credentials: it has no secret to authenticate with.")
    if "refresh_token" in grant_types and "authorization_code" not in grant_types:
        add("/grant_types", "refresh_token is only issued with authorization_code; add that grant.")
    if "authorization_code" in grant_types and not redirect_uris:
        add("/redirect_uris", "authorization_code needs at least one redirect URI.")
    if redirect_uris and "authorization_code" not in grant_types:
        add("/redirect_uris", "Redirect URIs are only used by authorization_code; remove them or add that grant.")
    for i, uri in enumerate(redirect_uris):
        problem = redirect_uri_problem(uri)
        if problem:
            add(f"/redirect_uris/{i}", f"{uri!r}: {problem}")
    if not scopes:
        add("/scopes", "Give at least one scope.")
    for scope in scopes:
        if scope not in DEFAULT_SCOPES:
            add("/scopes", f"Unknown scope {scope!r}; must be among: {', '.join(DEFAULT_SCOPES)}.")
    return errors


def create_client(
    *,
    session: Session,
    member: Member,
    name: str,
    client_type: str,
    grant_types: list[str],
    scopes: list[str],
    redirect_uris: list[str] | None = None,
    dpop: bool = False,
) -> tuple[OAuthClient, str | None]:
    """Register a client for an active member; returns it and its secret (confidential only).

    `dpop`: the client must prove possession of a key (RFC 9449) at every token request, and
    all its tokens are bound to that key (oauth/dpop.py).
    """
    grant_types, scopes, redirect_uris = _unique(grant_types), _unique(scopes), _unique(redirect_uris)
    errors = check_registration(
        name=name, client_type=client_type, grant_types=grant_types, scopes=scopes, redirect_uris=redirect_uris
    )
    if errors:
        raise Invalid(errors)
    if member.status != "active":
        raise Conflict(f"Member {member.id} is {member.status}; only active members can have clients.")
    secret = new_secret() if client_type == "confidential" else None
    client = OAuthClient(
        client_id="cl_" + new_secret(12),
        member=member,
        name=name.strip(),
        client_type=client_type,
        secret_hash=secret_hash(secret) if secret else None,
        grant_types=grant_types,
        scopes=scopes,
        redirect_uris=redirect_uris,
        dpop_bound_access_tokens=bool(dpop),
    )
    session.add(client)
    session.flush()
    return client, secret


_CLIENT_ATTRS = column_attrs(OAuthClient)
_MEMBER_ATTRS = column_attrs(Member)
# Every token request starts here: one round trip for the client and its member.
_CLIENT_BY_CLIENT_ID = (
    select(*[col for _, col in _CLIENT_ATTRS + _MEMBER_ATTRS])
    .select_from(OAuthClient)
    .join(Member, Member.id == OAuthClient.member_id)
    .where(OAuthClient.client_id == bindparam("client_id"))
)


def _plausible_client_id(client_id) -> bool:
    return isinstance(client_id, str) and 0 < len(client_id) <= 64 and "\x00" not in client_id


def _client_and_member(connection: Connection, client_id: str) -> tuple[dict, dict] | None:
    # A Core statement on a Connection (not the ORM layer: plain rows, a quarter of the CPU).
    row = connection.execute(_CLIENT_BY_CLIENT_ID, {"client_id": client_id}).first()
    if row is None:
        return None
    n = len(_CLIENT_ATTRS)
    client = {key: row[i] for i, (key, _) in enumerate(_CLIENT_ATTRS)}
    member = {key: row[n + i] for i, (key, _) in enumerate(_MEMBER_ATTRS)}
    return client, member


def get_client_by_client_id(*, session: Session, client_id: str) -> OAuthClient | None:
    """The client with this public client_id (revoked or not), as an ORM object, or None."""
    found = _client_and_member(session.connection(), client_id) if _plausible_client_id(client_id) else None
    if found is None:
        return None
    client, member = found
    return adopt(session, OAuthClient, client, {"member": adopt(session, Member, member)})


def client_row(connection: Callable[[], Connection], client_id: str) -> ClientRow | None:
    """The client with this public client_id (revoked or not), as read-only facts, or None.

    For the OAuth endpoints, which only ask it questions: served from the worker's credential
    cache when it holds the client (oauth/credential_cache.py), else one round trip. `connection`
    gives where to read (the request's Session's connection, or the token fast path's), called
    only on a miss.
    The cached object is shared by the worker's requests: nothing may change it.
    """
    if not _plausible_client_id(client_id):
        return None
    return through_cache(("client", client_id), lambda: _read_client_row(connection(), client_id),
                         lambda client: (f"c:{client.id}", f"m:{client.member.id}"))


def _read_client_row(connection: Connection, client_id: str) -> ClientRow | None:
    found = _client_and_member(connection, client_id)
    if found is None:
        return None
    client, member = found
    return ClientRow(client, MemberRow(member))


def get_all(*, session: Session, member_id: str | None = None) -> list[OAuthClient]:
    """Every client, optionally of one member, oldest first."""
    stmt = select(OAuthClient).order_by(OAuthClient.created_at, OAuthClient.client_id)
    if member_id:
        stmt = stmt.where(OAuthClient.member_id == member_id)
    return list(session.scalars(stmt))


def rotate_secret(*, session: Session, client: OAuthClient) -> str:
    """Give a confidential client a new secret; the old one stops working at commit."""
    if client.client_type != "confidential":
        raise Conflict(f"Client {client.client_id} is public: it has no secret to rotate.")
    if client.revoked_at is not None:
        raise Conflict(f"Client {client.client_id} is revoked; register a new client instead.")
    secret = new_secret()
    client.secret_hash = secret_hash(secret)
    client.secret_rotated_at = utcnow()
    session.flush()
    return secret


def revoke_client(*, session: Session, client: OAuthClient) -> int:
    """Revoke a client for good and every live token it holds; returns the tokens revoked."""
    if client.revoked_at is not None:
        raise Conflict(f"Client {client.client_id} is already revoked.")
    client.revoked_at = utcnow()
    session.flush()
    return _revoke_tokens(session, Token.client_pk == client.id)


def revoke_member_clients(*, session: Session, member_id: str) -> int:
    """Revoke every live client of a member; returns how many."""
    result = session.execute(
        update(OAuthClient)
        .where(OAuthClient.member_id == member_id, OAuthClient.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount


def revoke_member_tokens(*, session: Session, member_id: str) -> int:
    """Revoke every live token issued to a member; returns how many."""
    return _revoke_tokens(session, Token.member_id == member_id)


def revoke_user_tokens(*, session: Session, user_id: str) -> int:
    """Revoke every live token issued on behalf of one person; returns how many."""
    return _revoke_tokens(session, Token.user_id == user_id)


def on_member_status_changed(action: str, *, session: Session, member: Member) -> dict[str, int]:
    """A suspended or terminated member's tokens are revoked (so reinstatement does not bring them
    back to life; the bearer check refuses them meanwhile anyway), a terminated one's clients too."""
    effects: dict[str, int] = {}
    if action in ("suspend", "terminate"):
        effects["revoked_tokens"] = revoke_member_tokens(session=session, member_id=member.id)
    if action == "terminate":
        effects["revoked_clients"] = revoke_member_clients(session=session, member_id=member.id)
    return effects


def on_user_disabled(_action: str, *, session: Session, user) -> dict[str, int]:
    """A disabled person's tokens are revoked."""
    return {"revoked_tokens": revoke_user_tokens(session=session, user_id=user.id)}


def _revoke_tokens(session: Session, condition) -> int:
    result = session.execute(
        update(Token)
        .where(condition, Token.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount


# --- purge of expired credentials ------------------------------------------------------------


def _purgeable(cutoff: datetime) -> dict:
    """Per table, the rows nothing can use any more: every secret they hold expired before `cutoff`.

    A token goes once its access token and its refresh token (if any) have both expired; a code
    once it has expired, used or not; the record of a used DPoP proof as soon as the proof is too
    old to be accepted, whatever `cutoff` says. Until then they stay, so that a replayed code or refresh
    token is still recognised and revokes its family.
    """
    return {
        "tokens": (Token, and_(Token.access_expires_at < cutoff,
                               or_(Token.refresh_expires_at.is_(None), Token.refresh_expires_at < cutoff))),
        "authorization_codes": (AuthorizationCode, AuthorizationCode.expires_at < cutoff),
        # A used DPoP proof's record matters only while the proof's iat is in the window: it goes
        # as soon as it expires, whatever the cutoff (one row per DPoP request: they pile up).
        "dpop_proofs": (DPoPProof, DPoPProof.expires_at < utcnow()),
    }


def count_purgeable(*, session: Session, cutoff: datetime) -> dict[str, int]:
    """How many rows purge_expired would delete now, per table."""
    return {
        kind: session.scalar(select(func.count()).select_from(model).where(condition))
        for kind, (model, condition) in _purgeable(cutoff).items()
    }


def purge_expired(
    *, transaction: Callable[[], AbstractContextManager[Session]], cutoff: datetime, batch_size: int
) -> Iterator[tuple[str, int]]:
    """Delete expired tokens and authorization codes in batches, one transaction each.

    Yields (table, rows deleted) after every committed batch, so that a caller stopped by an
    error knows what was done; running it again finishes the work. Batches walk the primary key
    (one pass over the table in all, whatever the IDs' order), so that no transaction holds many
    rows and PostgreSQL's statement-level notification ("*": every worker empties its credential
    cache, whose entries for these rows had expired anyway) goes once per batch, not per row.
    """
    for kind, (model, condition) in _purgeable(cutoff).items():
        after = ""
        while True:
            with transaction() as s:
                ids = s.scalars(
                    select(model.id).where(model.id > after, condition).order_by(model.id).limit(batch_size)
                ).all()
                if not ids:
                    break
                # The same rows: those of the range that satisfy the condition (no new row can).
                deleted = s.execute(
                    delete(model)
                    .where(model.id > after, model.id <= ids[-1], condition)
                    .execution_options(synchronize_session=False)
                ).rowcount
            yield kind, deleted
            if len(ids) < batch_size:
                break
            after = ids[-1]
