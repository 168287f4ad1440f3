"""OAuth 2.0 endpoints: token, revocation, introspection, metadata, and the authorize pages."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from urllib.parse import urlsplit
from datetime import datetime, timedelta, timezone

from authlib.common.urls import add_params_to_uri
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import InsecureTransportError
from flask import Blueprint, current_app, jsonify, render_template, request
from flask import session as cookie

from ..accounts import services as accounts
from ..accounts.models import User
from ..api.http import csp_allowing_form_target
from ..api.ratelimit import limiter
from ..db import session, transactional, utcnow
from ..errors import RateLimited, html_errors
from . import dpop, fastpath
from .scopes import SCOPE_DESCRIPTIONS
from .server import metadata

bp = Blueprint("oauth", __name__)

SIGN_IN_MAX_AGE = timedelta(hours=1)


def _server():
    return current_app.extensions["platform_oauth"]


def _settings():
    return current_app.config["PLATFORM"]


# RFC 6749 appendix A: these parameters are printable ASCII. Anything else is refused here,
# before Authlib sees it. Those that Authlib may echo into an error description must also be
# free of '"' and '\\', which error descriptions may not hold (RFC 6749 5.2).
_VSCHAR = re.compile(r"^[\x20-\x7e]*$")
_ECHOABLE = re.compile(r"^[\x20\x21\x23-\x5b\x5d-\x7e]*$")
_OPAQUE_PARAMS = ("client_secret", "code", "code_verifier", "refresh_token", "token", "state", "code_challenge")
_ECHOED_PARAMS = ("grant_type", "scope", "client_id", "redirect_uri", "token_type_hint", "response_type",
                  "code_challenge_method", "dpop_jkt")


def _parameter_problem() -> str | None:
    """What is wrong with the request's OAuth parameters, or None: a malformed value, or a
    parameter given more than once (RFC 6749 3.1: none may be; query and body count together)."""
    values = request.values  # built anew on each access: read it once
    seen = set()
    for name, value in values.items(multi=True):
        pattern = _ECHOABLE if name in _ECHOED_PARAMS else _VSCHAR if name in _OPAQUE_PARAMS else None
        if pattern is None:
            continue
        if len(value) > 2048 or not pattern.match(value):
            return f"The parameter {name} is malformed."
        if name in seen:
            return f"The parameter {name} is given more than once."
        seen.add(name)
    return None


def _refuse_malformed():
    problem = _parameter_problem()
    if problem is None:
        return None
    return jsonify({"error": "invalid_request", "error_description": problem}), 400


def _throttle() -> None:
    """Per address and claimed client, so clients sharing an address keep separate budgets."""
    auth = request.authorization  # parsed anew on each read
    claimed = (auth.username if auth else None) or request.form.get("client_id") or "-"
    limiter().check(_settings().rate_limit, "oauth", request.remote_addr or "-", claimed[:64])


@bp.errorhandler(InsecureTransportError)
def _insecure_transport(_error):
    # Authlib refuses plain http except on loopback. Behind a TLS proxy, list the proxy in
    # FORWARDED_ALLOW_IPS so that gunicorn takes the scheme from X-Forwarded-Proto.
    return jsonify({"error": "invalid_request", "error_description": "OAuth requests must use HTTPS."}), 400


@bp.get("/.well-known/oauth-authorization-server")
def server_metadata():
    resp = jsonify(metadata(_settings()))
    resp.headers["Cache-Control"] = "public, max-age=3600"
    return resp


@bp.post("/oauth/token")
def issue_token():
    _throttle()
    if (refused := _refuse_malformed()) is not None:
        return refused
    try:
        # RFC 9449 4.3: checked, and recorded as used, before anything else: a token request with
        # a bad proof gets nothing, and a proof works once.
        proof = dpop.check_request()
    except dpop.DPoPError as error:
        return jsonify({"error": "invalid_dpop_proof", "error_description": error.description}), 400
    dpop.set_token_request_proof(proof)
    if (proof is None and request.form.get("grant_type") == "client_credentials"
            and _settings().token_fast_path):
        # One lookup (often none: the credential cache) and one insert, each on its own, without
        # a transaction (oauth/fastpath.py). Code and refresh grants change several rows and keep theirs.
        fastpath.begin()
        return _token_response(client_credentials=True)
    return _token_response()


@transactional
def _token_response(client_credentials: bool = False):
    server = _server()
    if client_credentials:
        issued = server.issue_client_credentials(request._get_current_object())
        if issued is not None:
            return issued
    return server.create_token_response()


@bp.post("/oauth/revoke")
@transactional
def revoke_token():
    _throttle()
    if (refused := _refuse_malformed()) is not None:
        return refused
    return _server().create_endpoint_response("revocation")


@bp.post("/oauth/introspect")
@transactional
def introspect_token():
    _throttle()
    if (refused := _refuse_malformed()) is not None:
        return refused
    return _server().create_endpoint_response("introspection")


# --- authorization endpoint: sign-in and consent pages ---------------------------------------


def _page(template: str, status: int = 200, **context):
    return render_template(template, csrf_token=_csrf_token(), action=request.full_path, **context), status


def _error_page(message: str, status: int = 400, headers: dict | None = None):
    body = render_template("error.html", message=message, status=status)
    return body, status, headers or {}


def _csrf_token() -> str:
    if "csrf" not in cookie:
        cookie["csrf"] = secrets.token_urlsafe(32)
    return cookie["csrf"]


def _csrf_ok() -> bool:
    sent = request.form.get("csrf_token", "")
    expected = cookie.get("csrf", "")
    return bool(sent) and bool(expected) and hmac.compare_digest(sent, expected)


def _signed_in_user() -> User | None:
    uid, at = cookie.get("uid"), cookie.get("auth_at")
    if not uid or not at:
        return None
    if datetime.fromtimestamp(at, timezone.utc) + SIGN_IN_MAX_AGE < utcnow():
        return None
    user = session().get(User, uid)
    return user if user is not None and user.active else None


def _request_digest() -> str:
    """What the consent page was shown for: every parameter of this authorize request (client,
    scopes, redirect URI, state, PKCE challenge...), in one digest."""
    shown = json.dumps(sorted(request.args.items(multi=True)), ensure_ascii=False)
    return hashlib.sha256(shown.encode()).hexdigest()


def _consent(grant, user: User, status: int = 200):
    """The consent page, with a token that approves (or denies) this very request, once."""
    client = grant.client
    scopes = (grant.request.scope or "").split()
    token = secrets.token_urlsafe(32)
    cookie["consent"] = [token, _request_digest(), user.id]
    body, status = _page(
        "consent.html",
        status,
        consent_token=token,
        client=client,
        owner=client.member,
        overseas=client.member.is_overseas(_settings().home_country),
        scopes=[(s, SCOPE_DESCRIPTIONS.get(s, s)) for s in scopes],
        user=user,
        redirect_host=_host_of(grant.redirect_uri),
    )
    parts = urlsplit(grant.redirect_uri)
    return body, status, {"Content-Security-Policy": csp_allowing_form_target(f"{parts.scheme}://{parts.netloc}")}


def _host_of(uri: str | None) -> str:
    return urlsplit(uri or "").netloc


def _sign_in(grant):
    email = (request.form.get("email") or "").strip().lower()[:254]
    password = request.form.get("password") or ""
    try:
        limiter().check(_settings().login_rate_limit, "login-ip", request.remote_addr or "-")
        if email:
            limiter().check(_settings().login_rate_limit, "login-email", email)
    except RateLimited as exc:
        return _error_page(
            "Too many sign-in attempts. Wait a minute and try again.", 429, {"Retry-After": exc.headers["Retry-After"]}
        )
    user = accounts.authenticate(session=session(), email=email, password=password) if email and password else None
    if user is None:
        # One message for an unknown e-mail and a wrong password: the page never tells which.
        return _page("signin.html", 200, error="The e-mail or password is incorrect.", email=email, client=grant.client)
    cookie.clear()
    cookie["uid"] = user.id
    cookie["auth_at"] = int(utcnow().timestamp())
    user.last_sign_in_at = utcnow()
    return _consent(grant, user)


@bp.route("/oauth/authorize", methods=["GET", "POST"])
@html_errors
@transactional
def authorize():
    server = _server()
    if (problem := _parameter_problem()) is not None:
        return _error_page(problem)
    try:
        grant = server.get_consent_grant(end_user=None)
    except OAuth2Error as error:
        if getattr(error, "redirect_uri", None):
            return _with_issuer(server.handle_error_response(None, error))
        # Unknown client or unregistered redirect URI: never redirect to an unverified place.
        return _error_page(error.description or error.error)

    user = _signed_in_user()
    if request.method == "GET":
        return _consent(grant, user) if user else _page("signin.html", client=grant.client)

    if not _csrf_ok():
        return _error_page("This form has expired. Go back to the application and start again.")
    if request.form.get("action") == "switch":
        cookie.clear()
        return _page("signin.html", client=grant.client)
    decision = request.form.get("decision")
    if decision is None:
        return _sign_in(grant)
    if user is None:
        return _page("signin.html", client=grant.client, error="Please sign in again.")
    if decision not in ("approve", "deny"):
        return _error_page("Choose Approve or Deny.")
    shown = cookie.pop("consent", None)  # single use, whatever comes of it
    sent = request.form.get("consent_token", "")
    if not (isinstance(shown, list) and len(shown) == 3 and sent and hmac.compare_digest(sent, shown[0])
            and shown[1] == _request_digest() and shown[2] == user.id):
        return _error_page("This decision was not made on this request's consent page. Go back to the "
                           "application and start again.")
    return _with_issuer(server.create_authorization_response(grant_user=user if decision == "approve" else None,
                                                            grant=grant))


def _with_issuer(resp):
    """RFC 9207: every authorization response sent back to the client names this server (`iss`),
    errors included, so that a client of several servers cannot be tricked into mixing them up."""
    location = resp.headers.get("Location")
    if location and 300 <= resp.status_code < 400:
        resp.headers["Location"] = add_params_to_uri(location, [("iss", _settings().issuer)])
    return resp
