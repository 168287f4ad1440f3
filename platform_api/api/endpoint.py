"""`@endpoint(scope)`: the only way to declare a /v1 view.

Authenticates the bearer token, applies the per-client rate limit, checks the scope, and runs
the view in one transaction (with Idempotency-Key handling where asked). A /v1 route whose
view was not declared this way makes create_app() fail: access is denied by default.
"""

from __future__ import annotations

import functools

from flask import current_app, request

from ..db import session, transactional
from ..errors import ApiError, InsufficientScope
from .auth import authenticate
from .idempotency import run_idempotent
from .ratelimit import limiter

#: Any valid token, whatever its scopes (for /v1/me).
AUTHENTICATED = "authenticated"


def endpoint(scope: str, *, idempotent: bool = False):
    def decorate(view):
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            settings = current_app.config["PLATFORM"]
            try:
                principal = authenticate()
            except ApiError:
                limiter().check(settings.rate_limit, "anon", request.remote_addr or "-")
                raise
            limiter().check(settings.rate_limit, "client", principal.client.id)
            if scope != AUTHENTICATED and scope not in principal.scopes:
                raise InsufficientScope(scope, scheme=getattr(principal, "scheme", "Bearer"))
            if idempotent:
                return run_idempotent(session(), principal.client.id, lambda: view(*args, **kwargs))
            return view(*args, **kwargs)

        wrapper = transactional(guarded)
        wrapper.access_scope = scope
        return wrapper

    return decorate


def check_routes_declared(app) -> None:
    """Refuse to start if any /v1 route lacks a declared scope."""
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/v1/") or rule.rule == "/v1":
            view = app.view_functions[rule.endpoint]
            if not getattr(view, "access_scope", None):
                raise RuntimeError(f"route {rule.rule} has no declared scope: use @endpoint(scope)")
