"""Authlib's authorization server, wired to hashed storage and our stricter rules.

Differences from Authlib's defaults, each on purpose:
- only client_credentials, authorization_code and refresh_token grants exist;
- a scope the client may not have is refused with invalid_scope (Authlib drops it silently);
- PKCE with S256 is required for every client, checked at /oauth/authorize and at /oauth/token;
- codes are single-use: a replayed code revokes every token issued from it;
- refresh tokens rotate on every use, and a used one revokes its whole family;
- tokens, codes and secrets are stored only as hashes;
- a plain client-credentials request that Authlib would grant is issued without Authlib's
  request plumbing, by the same steps and rules (issue_client_credentials); every other
  request, every refusal included, is Authlib's.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta

from authlib.common.security import is_secure_transport
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.integrations.flask_oauth2.requests import FlaskOAuth2Payload, FlaskOAuth2Request
from authlib.oauth2.rfc6749 import InvalidGrantError, InvalidRequestError, InvalidScopeError, grants
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from flask import Response, current_app, g
from flask import request as flask_request
from sqlalchemy import or_, select, update

from ..config import DEFAULT_SCOPES
from ..db import DriverQuery, new_id, session, statements, utcnow
from ..security import new_secret, secret_hash
from .models import AuthorizationCode, ClientRow, Token
from .services import client_row

ALL_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
SECRET_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


def _settings():
    return current_app.config["PLATFORM"]


# --- storage hooks ---------------------------------------------------------------------------


def query_client(client_id: str) -> ClientRow | None:
    """A client that may act now: not revoked, and its member active."""
    client = client_row(statements(), client_id)
    if client is None or not client.usable:
        return None
    return client


def save_token(token: dict, request) -> None:
    """Authlib's hook: store a newly issued token by its hashes; the plain values go only to the client."""
    if request.authorization_code is not None:
        family = request.authorization_code.id
    elif request.refresh_token is not None:
        family = request.refresh_token.family_id
    else:
        family = None
    store_token(token, request.client, request.payload.grant_type, request.user, family)


def store_token(token: dict, client: ClientRow, grant_type: str, user, family: str | None) -> None:
    g.oauth_client_id = client.client_id
    g.token_grant = grant_type  # counted by platform_api.metrics once the response is 200
    now = utcnow()
    refresh = token.get("refresh_token")
    _INSERT_TOKEN.execute(
        statements(),
        {
            "id": new_id(),
            "access_token_hash": secret_hash(token["access_token"]),
            "refresh_token_hash": secret_hash(refresh) if refresh else None,
            "client_pk": client.id,
            "member_id": user.member_id if user is not None else client.member_id,
            "user_id": user.id if user is not None else None,
            "grant_type": grant_type,
            "scope": token.get("scope", ""),
            "family_id": family or new_id(),
            "issued_at": now,
            "expires_in": token["expires_in"],
            "access_expires_at": now + timedelta(seconds=token["expires_in"]),
            "refresh_expires_at": now + timedelta(seconds=_settings().refresh_token_ttl) if refresh else None,
        },
    )


_TOKEN_COLUMNS = [col for col in Token.__table__.columns if col.name not in ("refresh_used_at", "revoked_at")]
# Straight to the driver: the ORM's unit of work costs more than the insert (token issue is
# measured against the bare endpoint; see README, Benchmarks).
_INSERT_TOKEN = DriverQuery(
    f"INSERT INTO oauth_tokens ({', '.join(c.name for c in _TOKEN_COLUMNS)}) "
    f"VALUES ({', '.join(':' + c.name for c in _TOKEN_COLUMNS)})",
    params={c.name: c.type for c in _TOKEN_COLUMNS},
)


def revoke_family(family_id: str) -> int:
    """Revoke every token of one authorization; returns how many were still live."""
    result = session().execute(
        update(Token)
        .where(Token.family_id == family_id, Token.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


# --- scope policy ----------------------------------------------------------------------------


# RFC 6749 3.3 scope-token: printable ASCII without space, quote or backslash.
_SCOPE_TOKEN = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]+$")


def scope_refusal(scope: str | None, client: ClientRow) -> str | None:
    """Why the requested scope is refused, or None if it may be granted (no scope: all the client's)."""
    if scope is None:
        return None
    requested = scope.split()
    if not requested:
        return "The scope parameter is empty; omit it to ask for every scope the client has."
    if not all(_SCOPE_TOKEN.match(s) for s in requested):
        return "The scope parameter is malformed."
    unknown = [s for s in requested if s not in DEFAULT_SCOPES]
    if unknown:
        return f"Unknown scope: {' '.join(unknown)}."
    refused = [s for s in requested if s not in client.scopes]
    if refused:
        return f"This client may not request: {' '.join(refused)}."
    return None


class StrictScopeMixin:
    """Refuse, rather than drop, any scope the server or the client does not allow."""

    def validate_requested_scope(self):
        refusal = scope_refusal(self.request.payload.scope, self.request.client)
        if refusal is not None:
            raise InvalidScopeError(refusal)


# --- grants ----------------------------------------------------------------------------------


class ClientCredentialsGrant(StrictScopeMixin, grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = SECRET_AUTH_METHODS


class AuthorizationCodeGrant(StrictScopeMixin, grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ALL_AUTH_METHODS

    def generate_authorization_code(self) -> str:
        return new_secret()

    def save_authorization_code(self, code: str, request) -> None:
        data = request.payload.data
        client: ClientRow = request.client
        now = utcnow()
        session().add(
            AuthorizationCode(
                code_hash=secret_hash(code),
                client_pk=client.id,
                user_id=request.user.id,
                redirect_uri=request.payload.redirect_uri or client.get_default_redirect_uri(),
                scope=request.scope or "",
                code_challenge=data["code_challenge"],
                code_challenge_method=data["code_challenge_method"],
                created_at=now,
                expires_at=now + timedelta(seconds=_settings().authorization_code_ttl),
            )
        )
        session().flush()

    def query_authorization_code(self, code: str, client: ClientRow):
        """Claim the code atomically; a replay revokes what the first use issued."""
        if not isinstance(code, str) or len(code) > 200:
            return None
        s = session()
        row = s.scalars(
            select(AuthorizationCode).where(
                AuthorizationCode.code_hash == secret_hash(code), AuthorizationCode.client_pk == client.id
            )
        ).first()
        if row is None:
            return None
        claimed = s.execute(
            update(AuthorizationCode)
            .where(AuthorizationCode.id == row.id, AuthorizationCode.used_at.is_(None))
            .values(used_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            revoke_family(row.id)
            raise InvalidGrantError("This authorization code was already used; the tokens issued from it are revoked.")
        if row.expires_at <= utcnow():
            raise InvalidGrantError("This authorization code has expired.")
        return row

    def delete_authorization_code(self, authorization_code) -> None:
        # Kept (marked used) rather than deleted, so that a replay is recognised.
        pass

    def authenticate_user(self, authorization_code: AuthorizationCode):
        user = authorization_code.user
        return user if user.active else None


class RefreshTokenGrant(StrictScopeMixin, grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ALL_AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str):
        """Claim the refresh token atomically; a used one revokes its whole family."""
        if not isinstance(refresh_token, str) or len(refresh_token) > 200:
            return None
        s = session()
        token = s.scalars(select(Token).where(Token.refresh_token_hash == secret_hash(refresh_token))).first()
        if token is None or token.client_pk != self.request.client.id:
            return None
        claimed = s.execute(
            update(Token)
            .where(Token.id == token.id, Token.refresh_used_at.is_(None), Token.revoked_at.is_(None))
            .values(refresh_used_at=utcnow())
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            revoke_family(token.family_id)
            raise InvalidGrantError(
                "This refresh token was already used or revoked; every token of its authorization is now revoked."
            )
        if token.refresh_expires_at is None or token.refresh_expires_at <= utcnow():
            raise InvalidGrantError("This refresh token has expired.")
        return token

    def authenticate_user(self, refresh_token: Token):
        user = refresh_token.user
        if user is None or not user.active:
            raise InvalidGrantError("The person who granted this authorization can no longer sign in.")
        return user

    def revoke_old_credential(self, refresh_token: Token) -> None:
        # Already marked used when claimed; its access token lives out its short lifetime.
        pass


class S256CodeChallenge(CodeChallenge):
    """PKCE with S256 for every client: plain and a missing method are refused."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send code_challenge and code_challenge_method=S256.")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256 (plain is not accepted).")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant, result):
        if not grant.request.form.get("code_verifier"):
            raise InvalidRequestError("Missing 'code_verifier': PKCE is required for every client.")
        super().validate_code_verifier(grant, result)


# --- revocation and introspection ------------------------------------------------------------


def _query_token(token_string: str, hint: str | None):
    if not isinstance(token_string, str) or len(token_string) > 200:
        return None
    h = secret_hash(token_string)
    if hint == "access_token":  # any other hint (or an unknown one) searches both
        cond = Token.access_token_hash == h
    elif hint == "refresh_token":
        cond = Token.refresh_token_hash == h
    else:
        cond = or_(Token.access_token_hash == h, Token.refresh_token_hash == h)
    token = session().scalars(select(Token).where(cond)).first()
    if token is not None:
        token.presented_as_refresh = token.refresh_token_hash == h
    return token


def _check_token_param(request) -> None:
    # RFC 7009 2.1 / RFC 7662 2.1: an unknown token_type_hint is ignored, not an error.
    if "token" not in request.form:
        raise InvalidRequestError("Missing 'token'.")


class _NamesItsClient:
    """Lets the access log name the client that authenticated at this endpoint."""

    def authenticate_endpoint_client(self, request):
        client = super().authenticate_endpoint_client(request)
        g.oauth_client_id = client.client_id
        return client


class Revocation(_NamesItsClient, RevocationEndpoint):
    CLIENT_AUTH_METHODS = ALL_AUTH_METHODS

    def check_params(self, request, client):
        _check_token_param(request)

    def query_token(self, token_string, token_type_hint):
        return _query_token(token_string, token_type_hint)

    def revoke_token(self, token: Token, request) -> None:
        if token.presented_as_refresh:
            revoke_family(token.family_id)  # RFC 7009 2.1: the grant's access tokens go too
        elif token.revoked_at is None:
            token.revoked_at = utcnow()
        session().flush()


class Introspection(_NamesItsClient, IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = SECRET_AUTH_METHODS

    def check_params(self, request, client):
        _check_token_param(request)

    def query_token(self, token_string, token_type_hint):
        return _query_token(token_string, token_type_hint)

    def check_permission(self, token: Token, client: ClientRow, request) -> bool:
        # A client learns only about its own tokens; anything else reads as inactive.
        return token.client_pk == client.id

    def create_introspection_payload(self, token: Token | None):
        if token is None or token.revoked_at is not None or not token.client.usable:
            return {"active": False}
        if token.user is not None and not token.user.active:
            return {"active": False}
        now = utcnow()
        if token.presented_as_refresh:
            expires = token.refresh_expires_at
            if token.refresh_used_at is not None or expires is None or expires <= now:
                return {"active": False}
            token_type = "refresh_token"
        else:
            expires = token.access_expires_at
            if expires <= now:
                return {"active": False}
            token_type = "Bearer"
        payload = {
            "active": True,
            "scope": token.scope,
            "client_id": token.client.client_id,
            "token_type": token_type,
            "exp": int(expires.timestamp()),
            "iat": int(token.issued_at.timestamp()),
            "sub": token.user_id or token.member_id,
            "member_id": token.member_id,
            "iss": _settings().issuer,
        }
        if token.user is not None:
            payload["username"] = token.user.email
        return payload


# --- the server ------------------------------------------------------------------------------


class _Payload(FlaskOAuth2Payload):
    """The request's parameters, combined once (Authlib's Flask payload combines them anew on
    each of the several reads a token request makes)."""

    def __init__(self, request):
        super().__init__(request)
        self._data = request.values

    @property
    def data(self):
        return self._data


class PlatformAuthorizationServer(AuthorizationServer):
    def create_oauth2_request(self, request):
        # The request object itself, not Flask's context-local proxy to it: Authlib reads it often.
        oauth_request = FlaskOAuth2Request(flask_request._get_current_object())
        oauth_request.payload = _Payload(oauth_request._request)
        return oauth_request

    def issue_client_credentials(self, request):
        """The response to a client-credentials request that Authlib would grant as it stands,
        made without Authlib's request plumbing; None for anything else, which the caller hands
        to create_token_response (every refusal and every unusual request is Authlib's).

        The same steps and the same rules as Authlib's ClientCredentialsGrant with
        client_secret_basic: transport check, credentials from the Basic header, client lookup,
        secret, auth method, grant type, scope, token generator, storage, response. Measured
        under load, Authlib's request objects, client-authentication loop and hooks cost about a
        fifth of this endpoint's CPU. tests/oauth/test_token_fast_path.py holds the two paths to
        the same answers.
        """
        form = request.form
        if request.args or not is_secure_transport(f"{request.scheme}://{request.host}/"):
            return None
        for key, values in form.lists():  # grant_type and scope, each at most once
            if key not in ("grant_type", "scope") or len(values) != 1:
                return None
        if form.get("grant_type") != ClientCredentialsGrant.GRANT_TYPE:
            return None
        client_id, client_secret = extract_basic_authorization(request.headers)
        if not client_id or not client_secret:
            return None
        client = query_client(client_id)
        if (
            client is None
            or not client.check_client_secret(client_secret)
            or not client.check_endpoint_auth_method("client_secret_basic", "token")
            or not client.check_grant_type(ClientCredentialsGrant.GRANT_TYPE)
        ):
            return None
        scope = form.get("scope")
        if scope_refusal(scope, client) is not None:
            return None
        token = self.generate_token(
            grant_type=ClientCredentialsGrant.GRANT_TYPE, client=client, scope=scope, include_refresh_token=False
        )
        store_token(token, client, ClientCredentialsGrant.GRANT_TYPE, None, None)
        # What handle_response makes, without the app's JSON provider lookup (same settings, app.py)
        body = json.dumps(token, sort_keys=False, ensure_ascii=False)
        return Response(body, 200, ClientCredentialsGrant.TOKEN_RESPONSE_HEADER)


def create_server(app) -> AuthorizationServer:
    settings = app.config["PLATFORM"]
    server = PlatformAuthorizationServer()
    server.init_app(app, query_client=query_client, save_token=save_token)
    server.scopes_supported = list(DEFAULT_SCOPES)

    def expires_in(client, grant_type):
        return settings.access_token_ttl

    server.register_token_generator(
        "default",
        BearerTokenGenerator(
            access_token_generator=lambda **_kw: new_secret(),
            refresh_token_generator=lambda **_kw: new_secret(),
            expires_generator=expires_in,
        ),
    )
    server.register_grant(ClientCredentialsGrant)
    server.register_grant(AuthorizationCodeGrant, [S256CodeChallenge(required=True)])
    server.register_grant(RefreshTokenGrant)
    server.register_endpoint(Revocation)
    server.register_endpoint(Introspection)
    app.extensions["platform_oauth"] = server
    return server


def metadata(settings) -> dict:
    """RFC 8414 authorization server metadata."""
    issuer = settings.issuer
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/oauth/authorize",
        "token_endpoint": f"{issuer}/oauth/token",
        "revocation_endpoint": f"{issuer}/oauth/revoke",
        "introspection_endpoint": f"{issuer}/oauth/introspect",
        "scopes_supported": list(DEFAULT_SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
        "token_endpoint_auth_methods_supported": ALL_AUTH_METHODS,
        "revocation_endpoint_auth_methods_supported": ALL_AUTH_METHODS,
        "introspection_endpoint_auth_methods_supported": SECRET_AUTH_METHODS,
        "code_challenge_methods_supported": ["S256"],
        "service_documentation": f"{issuer}/docs",
    }
