"""What each problem type means, for the pages its `type` URI (/problems/<slug>) resolves to."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import PROBLEM_TYPES


@dataclass(frozen=True)
class ProblemPage:
    slug: str
    title: str
    status: int
    meaning: str
    action: str

    @property
    def type_uri(self) -> str:
        return f"/problems/{self.slug}"


# slug -> (status, what it means, what the client should do)
_PAGES = {
    "bad-request": (
        400,
        "The request could not be read: the body is not valid JSON, not a JSON object, not UTF-8 "
        "or nested too deeply; an Idempotency-Key is malformed; or an access token was sent in the "
        "query string.",
        "Fix the request as `detail` says. Send access tokens only in the Authorization header. "
        "Retrying the same request will fail the same way.",
    ),
    "invalid-parameter": (
        400,
        "A query parameter is unknown, given more than once, or has an invalid value; or a "
        "pagination cursor was made for another caller or another query. `errors` names each "
        "parameter at fault.",
        "Fix the named parameters. Pass `next_cursor` back unchanged, with the same filters as the "
        "page it came from.",
    ),
    "unauthorized": (
        401,
        "The request has no bearer token, or the token is invalid, expired or revoked, or the "
        "member or person behind it may no longer act. `WWW-Authenticate` says which.",
        "Obtain a new access token from /oauth/token (or refresh it) and retry. If a new token "
        "fails too, the client or its member has been suspended: contact the platform.",
    ),
    "insufficient-scope": (
        403,
        "The token is valid but does not carry the scope this operation needs. "
        "`WWW-Authenticate` names the scope.",
        "Request a token with that scope. If the client may not have it, ask the platform's "
        "administrators to register it for the client.",
    ),
    "forbidden": (
        403,
        "The caller may see this object but not change it, for example another member's profile.",
        "Do not retry: only the object's owner may make this change.",
    ),
    "not-found": (
        404,
        "There is no object with this ID, or none the caller may see (the answer is the same "
        "either way), or no resource at this URL.",
        "Check the ID and the URL. Do not retry unless you expect the object to appear.",
    ),
    "method-not-allowed": (
        405,
        "The resource exists but does not support this HTTP method. `Allow` lists the methods "
        "it does support.",
        "Use one of the methods in `Allow`.",
    ),
    "conflict": (
        409,
        "The change conflicts with the object's current state, for example a status transition "
        "its current status does not allow. `allowed_actions`, when present, lists what is "
        "possible now.",
        "Fetch the object, look at its current state, and choose an action that state allows.",
    ),
    "idempotency-conflict": (
        409,
        "A request with the same Idempotency-Key is still being processed.",
        "Wait a moment and retry with the same key and the same body: you will get the first "
        "request's response.",
    ),
    "precondition-failed": (
        412,
        "`If-Match` does not match the resource's current ETag: someone changed it since you "
        "read it.",
        "Fetch the resource again, reapply your change to the new version, and retry with its "
        "new ETag. Never retry blindly with `If-Match: *`.",
    ),
    "payload-too-large": (
        413,
        "The request body is larger than the service accepts (1 MiB).",
        "Send a smaller body; strings and arrays have the maximum lengths given in openapi.yaml.",
    ),
    "unsupported-media-type": (
        415,
        "The request body is not `application/json`.",
        "Send the body as JSON with `Content-Type: application/json`.",
    ),
    "validation-error": (
        422,
        "The body is well-formed JSON but breaks the operation's schema, sets a read-only or "
        "unknown field, or reuses an Idempotency-Key with a different body. `errors` holds a "
        "JSON Pointer into the body and a message for each problem.",
        "Fix each field `errors` points at and retry. Use a new Idempotency-Key for a different "
        "request.",
    ),
    "precondition-required": (
        428,
        "A change was sent without `If-Match`. Changes must name the version they apply to, so "
        "that two editors never silently overwrite each other.",
        "Read the resource, then send its `ETag` as `If-Match` with the change.",
    ),
    "rate-limited": (
        429,
        "The client sent more requests than its rate limit allows.",
        "Wait the number of seconds in `Retry-After`, then retry. Spread requests out.",
    ),
    "service-unavailable": (
        503,
        "The service cannot reach its database right now.",
        "Retry after the seconds in `Retry-After`, with backoff.",
    ),
    "internal-error": (
        500,
        "An unexpected error: a bug in the service. It has been logged under the request's "
        "X-Request-ID.",
        "Report it with the X-Request-ID. Retrying a safe request (GET) may succeed; for a change, "
        "read the resource first to see whether it was applied.",
    ),
}


def problem_pages() -> list[ProblemPage]:
    """One page per problem type the service can answer with, in PROBLEM_TYPES order."""
    return [ProblemPage(slug, title, *_PAGES[slug]) for slug, title in PROBLEM_TYPES.items()]


def problem_page(slug: str) -> ProblemPage | None:
    if slug not in PROBLEM_TYPES or slug not in _PAGES:
        return None
    return ProblemPage(slug, PROBLEM_TYPES[slug], *_PAGES[slug])
