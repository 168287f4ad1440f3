"""OAuth clients, authorization codes and tokens (secrets stored as hashes only)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..db import Base, IdColumn, JSONType, UTCDateTime, new_id, utcnow
from ..members.models import Member, MemberFacts, MemberRow
from ..security import secret_matches

GRANT_TYPES = ("client_credentials", "authorization_code", "refresh_token")
CLIENT_TYPES = ("confidential", "public")


class ClientRules:
    """What an OAuth client may do (Authlib's ClientMixin), of an ORM client or a ClientRow alike."""

    id: str
    client_id: str
    client_type: str
    secret_hash: str | None
    grant_types: list
    scopes: list
    redirect_uris: list
    revoked_at: datetime | None
    dpop_bound_access_tokens: bool
    member: MemberFacts

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        # Only an unambiguous registration may be used without naming it.
        return self.redirect_uris[0] if len(self.redirect_uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str:
        # An omitted scope means every scope the client is registered for; anything the
        # client may not have was already refused with invalid_scope (server.StrictScopeMixin).
        if not scope:
            return " ".join(self.scopes)
        return " ".join(s for s in scope.split() if s in self.scopes)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return self.client_type == "confidential" and secret_matches(client_secret, self.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.client_type == "public":
            return method == "none"
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "authorization_code" in self.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.grant_types

    @property
    def usable(self) -> bool:
        return self.revoked_at is None and self.member.status == "active"


class ClientRow(ClientRules):
    """A client as a hot-path query read it (or the credential cache kept it): plain attributes."""

    def __init__(self, values: dict, member: MemberRow):
        self.__dict__.update(values)
        self.member = member


class OAuthClient(ClientRules, Base):
    __tablename__ = "oauth_clients"

    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    client_type: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str | None] = mapped_column(String(64))
    grant_types: Mapped[list] = mapped_column(JSONType)
    scopes: Mapped[list] = mapped_column(JSONType)
    redirect_uris: Mapped[list] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    secret_rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # RFC 9449 5.2: every token request of this client must carry a DPoP proof (its tokens are
    # all DPoP-bound). Other clients may send one, and then get a DPoP-bound token too.
    dpop_bound_access_tokens: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    member: Mapped[Member] = relationship(lazy="joined")

    __table_args__ = (CheckConstraint("client_type IN ('confidential', 'public')", name="client_type"),)


class AuthorizationCode(Base):
    __tablename__ = "oauth_authorization_codes"

    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True, default=new_id)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_pk: Mapped[str] = mapped_column(ForeignKey("oauth_clients.id"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    redirect_uri: Mapped[str] = mapped_column(String(2048))
    scope: Mapped[str] = mapped_column(String(1000))
    code_challenge: Mapped[str] = mapped_column(String(128))
    code_challenge_method: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # RFC 9449 10: the thumbprint sent as dpop_jkt at /oauth/authorize; the code is exchanged
    # only with a DPoP proof signed by that key.
    dpop_jkt: Mapped[str | None] = mapped_column(String(43))

    client: Mapped[OAuthClient] = relationship(lazy="joined")
    user: Mapped[User] = relationship(lazy="joined")

    # --- Authlib AuthorizationCodeMixin ---
    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


class Token(Base):
    __tablename__ = "oauth_tokens"

    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True, default=new_id)
    access_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    refresh_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    client_pk: Mapped[str] = mapped_column(ForeignKey("oauth_clients.id"), index=True)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"), index=True)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    grant_type: Mapped[str] = mapped_column(String(32))
    scope: Mapped[str] = mapped_column(String(1000))
    # Every token descended from one authorization shares a family; replaying a used code or
    # refresh token revokes the whole family.
    family_id: Mapped[str] = mapped_column(String(36))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_in: Mapped[int] = mapped_column(Integer)
    access_expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    refresh_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    refresh_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # RFC 9449: the RFC 7638 SHA-256 thumbprint of the key the access token is bound to (None:
    # a bearer token), and the one the refresh token is bound to (public clients only, section 5:
    # a confidential client's refresh token is bound by its client authentication).
    dpop_jkt: Mapped[str | None] = mapped_column(String(43))
    refresh_dpop_jkt: Mapped[str | None] = mapped_column(String(43))

    client: Mapped[OAuthClient] = relationship(lazy="joined")
    user: Mapped[User | None] = relationship()

    __table_args__ = (
        Index("ix_oauth_tokens_family", "family_id", "revoked_at"),
        # Only tokens issued for a person have one (most are client-credentials tokens).
        Index("ix_oauth_tokens_user_id", "user_id", postgresql_where=text("user_id IS NOT NULL"),
              sqlite_where=text("user_id IS NOT NULL")),
    )

    # --- Authlib TokenMixin ---
    def check_client(self, client) -> bool:
        return self.client_pk == client.id

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return self.expires_in

    def is_expired(self) -> bool:
        return self.access_expires_at <= utcnow()

    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def get_user(self):
        return self.user

    def get_client(self):
        return self.client

    @property
    def scopes(self) -> list[str]:
        return self.scope.split()


class DPoPProof(Base):
    """A DPoP proof seen recently (RFC 9449 11.1): the hash of its key's thumbprint and its jti,
    kept until its iat has left the window in which it would be accepted."""

    __tablename__ = "oauth_dpop_proofs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
