"""Request IDs, body limits and the security headers on every response."""

from __future__ import annotations

import re
import secrets
import time

from flask import g, request
from flask.sessions import SecureCookieSessionInterface

from ..errors import ApiError

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_CSP_BASE = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'"
_CSP = _CSP_BASE + "; form-action 'self'"


def csp_allowing_form_target(origin: str) -> str:
    """The page policy, with form submissions also allowed to end at `origin`.

    Browsers apply form-action to the redirect that answers a form too, so a consent page whose
    form is answered with a redirect to the client must name the client's origin.
    """
    return f"{_CSP_BASE}; form-action 'self' {origin}"


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions (the sign-in pages), opened only when the cookie came.

    Flask builds its signing serializer on every request to look for the cookie; API calls
    never send one, and skipping that work is measurable on the cheapest endpoints.
    """

    def open_session(self, app, request):
        if self.get_cookie_name(app) not in request.cookies:
            return self.session_class()
        return super().open_session(app, request)


def init_app(app, settings) -> None:
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    if settings.proxy_hops:
        # Behind trusted proxies only: the address the last `proxy_hops` of them saw becomes
        # REMOTE_ADDR, so that per-address limits (sign-in, /oauth) count callers, not the proxy.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_hops, x_proto=0, x_host=0, x_port=0, x_prefix=0)
    app.session_interface = CookieSessions()

    @app.before_request
    def _request_id():
        g.started = time.perf_counter()
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else secrets.token_hex(12)
        length = request.content_length
        if request.method in ("POST", "PUT", "PATCH") and length is not None and length > settings.max_body_bytes:
            raise ApiError(
                f"The request body is larger than {settings.max_body_bytes} bytes.", status=413, slug="payload-too-large"
            )

    @app.after_request
    def _headers(resp):
        resp.headers["X-Request-ID"] = g.get("request_id") or secrets.token_hex(12)
        resp.headers["X-Content-Type-Options"] = "nosniff"
        path = request.path
        if path.startswith(("/v1", "/oauth")) or resp.mimetype == "application/problem+json":
            resp.headers["Cache-Control"] = "no-store"
            resp.headers.setdefault("Pragma", "no-cache")
        if resp.mimetype == "text/html":
            resp.headers["X-Frame-Options"] = "DENY"
            if "Content-Security-Policy" not in resp.headers:  # a page may widen form-action for itself
                resp.headers["Content-Security-Policy"] = _CSP
            resp.headers["Referrer-Policy"] = "no-referrer"
        return resp
