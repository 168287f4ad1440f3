"""Authlib's authorization server, wired to hashed storage and our stricter rules.

Differences from Authlib's defaults, each on purpose:
- only client_credentials, authorization_code and refresh_token grants exist;
- a scope the client may not have is refused with invalid_scope (Authlib drops it silently);
- PKCE with S256 is required for every client, checked at /oauth/authorize and at /oauth/token;
- codes are single-use: a replayed code revokes every token issued from it;
- refresh tokens rotate on every use, and a used one revokes its whole family;
- tokens, codes and secrets are stored only as hashes;
- a request with a DPoP proof (RFC 9449; oauth/dpop.py) gets a token bound to the proof's key,
  `token_type: DPoP`, and a client registered for DPoP gets nothing without a proof;
- a plain client-credentials request that Authlib would grant is issued without Authlib's
  request plumbing, by the same steps and rules (oauth/fastpath.py, the service's one fast
  path); every other request, every refusal included, is Authlib's.
"""

from __future__ import annotations

from datetime import timedelta

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.integrations.flask_oauth2.requests import FlaskOAuth2Payload, FlaskOAuth2Request
from authlib.oauth2.rfc6749 import InvalidClientError, InvalidRequestError
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from flask import current_app, g
from flask import request as flask_request
from sqlalchemy import or_, select

from ..config import DEFAULT_SCOPES
from ..db import new_id, session, utcnow
from ..security import new_secret, secret_hash, secret_matches
from . import dpop, fastpath
from .grants import (
    ALL_AUTH_METHODS,
    SECRET_AUTH_METHODS,
    AuthorizationCodeGrant,
    ClientCredentialsGrant,
    InvalidDPoPProofError,
    RefreshTokenGrant,
    S256CodeChallenge,
    revoke_family,
    scope_refusal,
)
from .models import ClientRow, Token
from .services import client_row



def _settings():
    return current_app.config["PLATFORM"]


# --- storage hooks ---------------------------------------------------------------------------


def query_client(client_id: str) -> ClientRow | None:
    """A client that may act now: not revoked, and its member active."""
    client = client_row(fastpath.reads, client_id)
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
    proof = dpop.token_request_proof()
    jkt = proof.jkt if proof is not None else None
    fastpath.insert_token(
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
            "dpop_jkt": jkt,
            # RFC 9449 5: a public client's refresh token is bound to the key too; a confidential
            # client's is bound by the client's own authentication (it may change keys).
            "refresh_dpop_jkt": jkt if refresh and client.client_type == "public" else None,
        },
    )


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
            jkt = token.refresh_dpop_jkt
        else:
            expires = token.access_expires_at
            if expires <= now:
                return {"active": False}
            token_type = "DPoP" if token.dpop_jkt else "Bearer"
            jkt = token.dpop_jkt
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
        if jkt is not None:
            payload["cnf"] = {"jkt": jkt}  # RFC 9449 6.2
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


# --- client authentication ---------------------------------------------------------------------

# One answer whatever failed, so that nobody learns which client IDs exist (finding 6).
CLIENT_AUTH_FAILED = ("Client authentication failed: unknown client, wrong secret, or an authentication "
                      "method this client may not use.")
_NO_SUCH_CLIENT = secret_hash("no client has this secret")


def _client_with_secret(client_id: str, client_secret: str) -> ClientRow | None:
    """The usable client these credentials authenticate, or None; the same work either way."""
    client = query_client(client_id)
    if client is None:
        secret_matches(client_secret, _NO_SUCH_CLIENT)  # as long as checking a wrong secret
        return None
    return client if client.check_client_secret(client_secret) else None


def _auth_basic(_query_client, request) -> ClientRow | None:
    client_id, client_secret = extract_basic_authorization(request.headers)
    return _client_with_secret(client_id, client_secret) if client_id and client_secret else None


def _auth_post(_query_client, request) -> ClientRow | None:
    client_id, client_secret = request.form.get("client_id"), request.form.get("client_secret")
    return _client_with_secret(client_id, client_secret) if client_id and client_secret else None


def _auth_none(_query_client, request) -> ClientRow | None:
    client_id = request.payload.client_id
    if client_id and not request.payload.data.get("client_secret"):
        return query_client(client_id)
    return None


def _one_method(request) -> None:
    """RFC 6749 2.3: a client authenticates one way per request (finding 3)."""
    if "Authorization" not in request.headers:
        return
    if request.form.get("client_secret") is not None:
        raise InvalidRequestError("Authenticate the client one way: HTTP Basic or client_secret in the body, not both.")
    basic_id, _secret = extract_basic_authorization(request.headers)
    body_id = request.form.get("client_id")
    if body_id is not None and basic_id and body_id != basic_id:
        raise InvalidRequestError("client_id in the body names another client than the Authorization header.")


class PlatformAuthorizationServer(AuthorizationServer):
    def authenticate_client(self, request, methods, endpoint="token"):
        _one_method(request)
        try:
            client = super().authenticate_client(request, methods, endpoint)
        except InvalidClientError as error:
            raise InvalidClientError(status_code=error.status_code, description=CLIENT_AUTH_FAILED) from None
        if endpoint == "token" and client.dpop_bound_access_tokens and dpop.token_request_proof() is None:
            # RFC 9449 5.2; refused before any code or refresh token is looked at.
            raise InvalidDPoPProofError("This client is registered for DPoP: every token request must carry "
                                        "a DPoP proof in the DPoP header.")
        return client

    def create_oauth2_request(self, request):
        # The request object itself, not Flask's context-local proxy to it: Authlib reads it often.
        oauth_request = FlaskOAuth2Request(flask_request._get_current_object())
        oauth_request.payload = _Payload(oauth_request._request)
        return oauth_request

    def issue_client_credentials(self, request):
        """The fast path's answer to a plain client-credentials request, or None (oauth/fastpath.py)."""
        return fastpath.issue_client_credentials(
            self, request, query_client=query_client, scope_refusal=scope_refusal, store_token=store_token
        )


class TokenGenerator(BearerTokenGenerator):
    """Authlib's bearer tokens, typed DPoP when the request proved possession of a key (the
    token is then stored bound to it: store_token)."""

    def generate(self, *args, **kwargs) -> dict:
        token = super().generate(*args, **kwargs)
        if dpop.token_request_proof() is not None:
            token["token_type"] = "DPoP"
        return token


def create_server(app) -> AuthorizationServer:
    settings = app.config["PLATFORM"]
    server = PlatformAuthorizationServer()
    server.init_app(app, query_client=query_client, save_token=save_token)
    server.register_client_auth_method("client_secret_basic", _auth_basic)
    server.register_client_auth_method("client_secret_post", _auth_post)
    server.register_client_auth_method("none", _auth_none)
    server.scopes_supported = list(DEFAULT_SCOPES)

    def expires_in(client, grant_type):
        return settings.access_token_ttl

    server.register_token_generator(
        "default",
        TokenGenerator(
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
    fastpath.init_app(app)
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
        "authorization_response_iss_parameter_supported": True,
        "dpop_signing_alg_values_supported": list(dpop.ALGORITHMS),
    }
