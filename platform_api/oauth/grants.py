"""The grants this server offers, with our stricter rules, and the scope policy they share.

(See server.py's docstring for the list of differences from Authlib's defaults.)
"""

from __future__ import annotations

import re
from datetime import timedelta

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import InvalidGrantError, InvalidRequestError, InvalidScopeError, grants
from authlib.oauth2.rfc7636 import CodeChallenge
from flask import current_app
from sqlalchemy import select, update

from ..config import DEFAULT_SCOPES
from ..db import session, utcnow
from ..security import new_secret, secret_hash
from . import dpop
from .models import AuthorizationCode, ClientRow, Token

ALL_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
SECRET_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


def _settings():
    return current_app.config["PLATFORM"]


def revoke_family(family_id: str) -> int:
    """Revoke every token of one authorization; returns how many were still live."""
    result = session().execute(
        update(Token)
        .where(Token.family_id == family_id, Token.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


class InvalidDPoPProofError(OAuth2Error):
    """RFC 9449 5: the DPoP proof is missing where one is needed, invalid, or of another key."""

    error = "invalid_dpop_proof"
    status_code = 400


def check_key_binding(bound_jkt: str | None, what: str) -> None:
    """Refuse a credential bound to a key unless this request's proof is signed by that key."""
    if bound_jkt is None:
        return
    proof = dpop.token_request_proof()
    if proof is None:
        raise InvalidDPoPProofError(f"This {what} is bound to a DPoP key: send a DPoP proof signed by that key.")
    if proof.jkt != bound_jkt:
        raise InvalidDPoPProofError(f"The DPoP proof is signed by another key than the one this {what} is bound to.")


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

    def validate_authorization_request(self):
        redirect_uri = super().validate_authorization_request()
        jkt = self.request.payload.data.get("dpop_jkt")
        if jkt is not None and not dpop.is_jkt(jkt):
            # RFC 9449 10: the base64url SHA-256 JWK thumbprint of the key the code is bound to.
            raise InvalidRequestError("dpop_jkt must be the JWK SHA-256 thumbprint (RFC 7638) of the client's "
                                      "DPoP key, base64url without padding (43 characters).",
                                      state=self.request.payload.state, redirect_uri=redirect_uri)
        return redirect_uri

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
                dpop_jkt=data.get("dpop_jkt"),
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
        # Before the code is claimed: someone holding the code but not the key cannot spend it.
        check_key_binding(row.dpop_jkt, "authorization code")
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
        # Before the token is claimed: someone holding it but not the key cannot spend it.
        check_key_binding(token.refresh_dpop_jkt, "refresh token")
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
