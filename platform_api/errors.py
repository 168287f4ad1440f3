"""One error path: every error from the service becomes RFC 9457 problem+json."""

from __future__ import annotations

import logging
from urllib.parse import quote

from flask import Response, current_app, g, json, request
from marshmallow import ValidationError
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from .exceptions import DomainError, Forbidden, Invalid, InvalidState, NotFound

log = logging.getLogger("platform_api.errors")

PROBLEM_JSON = "application/problem+json"

# slug -> title. `type` is the relative URI /problems/<slug>, stable across deployments.
PROBLEM_TYPES = {
    "bad-request": "Bad request",
    "invalid-parameter": "Invalid query parameter",
    "unauthorized": "Authentication required",
    "insufficient-scope": "Insufficient scope",
    "forbidden": "Forbidden",
    "not-found": "Not found",
    "method-not-allowed": "Method not allowed",
    "conflict": "Conflict",
    "idempotency-conflict": "Request with this Idempotency-Key is still in progress",
    "precondition-failed": "Precondition failed",
    "payload-too-large": "Payload too large",
    "unsupported-media-type": "Unsupported media type",
    "validation-error": "Validation failed",
    "precondition-required": "Precondition required",
    "rate-limited": "Too many requests",
    "service-unavailable": "Service temporarily unavailable",
    "internal-error": "Internal server error",
}

_STATUS_SLUG = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    412: "precondition-failed",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "validation-error",
    428: "precondition-required",
    429: "rate-limited",
    503: "service-unavailable",
}


def html_errors(view):
    """Mark a view that serves people in a browser: its errors are HTML pages, not problem+json."""
    view.html_errors = True
    return view


def _wants_html() -> bool:
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    return getattr(view, "html_errors", False)


class ApiError(Exception):
    """A domain or protocol error with everything needed to render its problem."""

    status = 400
    slug = "bad-request"

    def __init__(
        self,
        detail: str,
        *,
        status: int | None = None,
        slug: str | None = None,
        errors: list[dict] | None = None,
        headers: dict | None = None,
        extra: dict | None = None,
    ):
        super().__init__(detail)
        self.detail = detail
        if status is not None:
            self.status = status
        if slug is not None:
            self.slug = slug
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra or {}


class BadRequest(ApiError):
    status, slug = 400, "bad-request"


class InvalidParameter(ApiError):
    status, slug = 400, "invalid-parameter"

    def __init__(self, parameter: str, detail: str):
        super().__init__(
            f"Query parameter '{parameter}': {detail}",
            errors=[{"parameter": parameter, "detail": detail}],
        )


class Unauthorized(ApiError):
    """401 with the challenge of the scheme the request used: `Bearer`, or `DPoP` (RFC 9449 7.1,
    with `algs`, the proof algorithms accepted, when given). Without credentials both are offered
    when `dpop_algs` is given."""

    status, slug = 401, "unauthorized"

    def __init__(self, detail: str, *, error: str | None = "invalid_token", scheme: str = "Bearer",
                 dpop_algs: list[str] | None = None):
        if error:
            desc = detail.replace('"', "'").replace("\\", "/")
            challenge = f'{_challenge(scheme, dpop_algs)}, error="{error}", error_description="{desc}"'
        else:
            challenge = _challenge("Bearer") + (f", {_challenge('DPoP', dpop_algs)}" if dpop_algs else "")
        super().__init__(detail, headers={"WWW-Authenticate": challenge})


def _challenge(scheme: str, dpop_algs: list[str] | None = None) -> str:
    if scheme == "DPoP":
        return 'DPoP realm="platform"' + (f', algs="{" ".join(dpop_algs)}"' if dpop_algs else "")
    return 'Bearer realm="platform"'


class InsufficientScope(ApiError):
    status, slug = 403, "insufficient-scope"

    def __init__(self, scope: str, *, scheme: str = "Bearer"):
        super().__init__(
            f"This operation needs the scope '{scope}', which the token does not carry.",
            headers={"WWW-Authenticate": f'{_challenge(scheme)}, error="insufficient_scope", scope="{scope}"'},
        )


class PreconditionFailed(ApiError):
    status, slug = 412, "precondition-failed"


class PreconditionRequired(ApiError):
    status, slug = 428, "precondition-required"


class UnsupportedMediaType(ApiError):
    status, slug = 415, "unsupported-media-type"


class RateLimited(ApiError):
    status, slug = 429, "rate-limited"

    def __init__(self, retry_after: int):
        retry_after = max(1, int(retry_after))
        super().__init__(
            f"Rate limit exceeded; retry in {retry_after} s.",
            headers={"Retry-After": str(retry_after)},
        )


class ServiceUnavailable(ApiError):
    status, slug = 503, "service-unavailable"

    def __init__(self, detail: str = "The database is unavailable; retry shortly."):
        super().__init__(detail, headers={"Retry-After": "2"})


def problem_response(
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    errors: list[dict] | None = None,
    headers: dict | None = None,
    extra: dict | None = None,
) -> Response:
    slug = slug or _STATUS_SLUG.get(status, "bad-request" if status < 500 else "internal-error")
    if request:
        g.problem_type = slug  # counted by platform_api.metrics
    if request and _wants_html():
        return _html_error(status, detail, headers)
    body = {
        "type": f"/problems/{slug}",
        "title": PROBLEM_TYPES.get(slug, "Error"),
        "status": status,
        "detail": detail,
        "instance": quote(request.path, safe="/:@!$&'()*+,;=") if request else None,
    }
    if errors:
        body["errors"] = errors
    if extra:
        body.update(extra)
    resp = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for key, value in (headers or {}).items():
        resp.headers[key] = value
    return resp


def _html_error(status: int, detail: str, headers: dict | None) -> Response:
    from flask import render_template

    resp = Response(render_template("error.html", message=detail, status=status), status=status, mimetype="text/html")
    for key, value in (headers or {}).items():
        resp.headers[key] = value
    return resp


def pointer_errors(messages, prefix: str = "") -> list[dict]:
    """Flatten marshmallow's nested error dict into JSON-pointer errors."""
    out: list[dict] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            token = str(key).replace("~", "~0").replace("/", "~1")
            if key == "_schema":
                out.extend(pointer_errors(value, prefix))
            else:
                out.extend(pointer_errors(value, f"{prefix}/{token}"))
    elif isinstance(messages, list):
        if all(isinstance(m, str) for m in messages):
            for m in messages:
                out.append({"pointer": prefix or "", "detail": m})
        else:
            for m in messages:
                out.extend(pointer_errors(m, prefix))
    else:
        out.append({"pointer": prefix or "", "detail": str(messages)})
    return out


# Where each domain exception lands at the API's edge (the most specific class first).
_DOMAIN = ((NotFound, 404), (Forbidden, 403), (Invalid, 422), (DomainError, 409))


def domain_problem(err: DomainError) -> Response:
    """The problem+json for a domain exception: the one place that gives them HTTP statuses."""
    status = next(code for cls, code in _DOMAIN if isinstance(err, cls))
    extra = {"allowed_actions": err.allowed_actions} if isinstance(err, InvalidState) else None
    return problem_response(status, err.detail, errors=getattr(err, "errors", None), extra=extra)


def register_error_handlers(app) -> None:
    app.register_error_handler(DomainError, domain_problem)

    @app.errorhandler(ApiError)
    def _api_error(err: ApiError):
        return problem_response(
            err.status, err.detail, slug=err.slug, errors=err.errors, headers=err.headers, extra=err.extra
        )

    @app.errorhandler(ValidationError)
    def _validation(err: ValidationError):
        return problem_response(422, "The request body is invalid.", errors=pointer_errors(err.messages))

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):
        headers = {}
        if err.code == 405:
            # Keep Allow: clients learn which methods exist.
            allow = err.get_response().headers.get("Allow")
            if allow:
                headers["Allow"] = allow
        detail = {
            404: "No resource exists at this URL.",
            405: f"The method {request.method} is not allowed here.",
            413: "The request body is larger than the service accepts.",
        }.get(err.code, err.description or err.name)
        return problem_response(err.code or 500, detail, headers=headers)

    @app.errorhandler(StaleDataError)
    def _stale(_err):
        return problem_response(
            412, "The resource was changed by someone else; fetch it again and retry with its new ETag."
        )

    @app.errorhandler(IntegrityError)
    def _integrity(err):
        log.warning("integrity error: %s", type(err.orig).__name__)
        return problem_response(409, "The change conflicts with the current state of the data.")

    @app.errorhandler(OperationalError)
    def _operational(err):
        log.error("database unavailable: %s", type(err.orig).__name__)
        return problem_response(503, "The database is unavailable; retry shortly.", headers={"Retry-After": "2"})

    @app.errorhandler(DBAPIError)
    def _dbapi(err):
        if getattr(err, "connection_invalidated", False):
            return _operational(err)
        log.exception("database error")
        return problem_response(500, "An unexpected error occurred; it has been logged.")

    @app.errorhandler(Exception)
    def _unexpected(err):
        log.exception("unhandled error")
        return problem_response(500, "An unexpected error occurred; it has been logged.")
