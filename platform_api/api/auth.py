"""Who is calling a /v1 endpoint: the interface every view and the shared plumbing use.

The bearer check needs the OAuth tables, so the oauth feature provides it
(`platform_api.oauth.bearer.authenticate`) and create_app registers it here with
`set_authenticator`. Plumbing (api/endpoint.py) and features ask through this module and never
import oauth: the arrows point down.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from flask import current_app, g


class Principal(Protocol):
    """What a view may know of its caller (oauth.bearer.Principal is the implementation)."""

    member_id: str
    scopes: frozenset[str]
    scheme: str  # how the token came: "Bearer", or "DPoP" (a key-bound token with its proof)

    @property
    def member(self): ...  # the member as an ORM object of the request's session


_KEY = "platform_authenticate"


def set_authenticator(app, authenticate: Callable[[], Principal]) -> None:
    """Name the function that turns the request's bearer token into a Principal (or raises 401)."""
    app.extensions[_KEY] = authenticate


def authenticate() -> Principal:
    """The principal behind the request's bearer token; raises Unauthorized (an ApiError) if none."""
    return current_app.extensions[_KEY]()


def current_principal() -> Principal:
    """The principal that @endpoint authenticated for this request."""
    return g.principal
