from datetime import timedelta

import factory

from platform_api.config import DEFAULT_SCOPES
from platform_api.db import new_id, utcnow
from platform_api.oauth.models import OAuthClient, Token
from platform_api.security import new_secret, secret_hash

from .base import BaseFactory
from .members import MemberFactory


class ClientFactory(BaseFactory):
    """A confidential client for the client-credentials grant; use make_client() for its secret."""

    class Meta:
        model = OAuthClient

    client_id = factory.LazyFunction(lambda: "cl_" + new_secret(12))
    member = factory.SubFactory(MemberFactory)
    name = factory.Sequence(lambda n: f"Integration {n}")
    client_type = "confidential"
    secret_hash = factory.LazyFunction(lambda: secret_hash(new_secret()))
    grant_types = ["client_credentials"]
    scopes = list(DEFAULT_SCOPES)
    redirect_uris = []


def make_client(**kwargs) -> tuple[OAuthClient, str]:
    """A client and its plain secret."""
    secret = new_secret()
    client = ClientFactory(secret_hash=secret_hash(secret), **kwargs)
    return client, secret


def make_public_client(**kwargs) -> OAuthClient:
    kwargs.setdefault("grant_types", ["authorization_code", "refresh_token"])
    kwargs.setdefault("redirect_uris", ["http://127.0.0.1:9000/callback"])
    return ClientFactory(client_type="public", secret_hash=None, **kwargs)


def make_token(client: OAuthClient | None = None, *, scopes=None, user=None, member=None, ttl: int = 3600, **kwargs):
    """A stored access token and its plain value, as the token endpoint would issue it."""
    client = client or ClientFactory()
    value = new_secret()
    now = utcnow()
    token = Token(
        access_token_hash=secret_hash(value),
        client_pk=client.id,
        member_id=(member or (user.member if user else client.member)).id,
        user_id=user.id if user else None,
        grant_type="authorization_code" if user else "client_credentials",
        scope=" ".join(scopes if scopes is not None else client.scopes),
        family_id=new_id(),
        issued_at=now,
        expires_in=ttl,
        access_expires_at=now + timedelta(seconds=ttl),
        **kwargs,
    )
    from .base import current_session

    s = current_session()
    s.add(token)
    s.flush()
    return token, value
