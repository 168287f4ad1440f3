"""Domain exceptions: what a service raises when a rule refuses an action.

They know nothing of HTTP or of the command line. The API's edge maps them to problem+json once
(errors.py: NotFound 404, Forbidden 403, Conflict and InvalidState 409, Invalid 422); the admin
command line maps them to exit codes once (cli: Invalid is a usage error, exit 2; the others
refuse the action, exit 1). The HTTP protocol's own errors (a missing token, a bad header, a
failed precondition, a rate limit) are errors.ApiError and its kin; services never raise those.
"""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain refused the action; `detail` says why, for people."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


class NotFound(DomainError):
    """No such object, or one the caller may not know exists (the two look the same)."""

    def __init__(self, what: str = "resource"):
        super().__init__(f"No {what} with this ID exists.")
        self.what = what


class Forbidden(DomainError):
    """The caller may see the object but not do this to it."""


class Conflict(DomainError):
    """The action conflicts with the data as it is (a duplicate, an inactive counterpart...)."""


class InvalidState(Conflict):
    """The object's state does not allow the action; `allowed_actions` lists what it allows now."""

    def __init__(self, detail: str, *, allowed_actions: list[str]):
        super().__init__(detail)
        self.allowed_actions = list(allowed_actions)


class Invalid(DomainError):
    """The input breaks a rule; `errors` are {"pointer": JSON pointer, "detail": ...} per field."""

    def __init__(self, errors: list[dict], detail: str | None = None):
        if detail is None:
            detail = "; ".join(f"{e.get('pointer', e.get('parameter', ''))}: {e['detail']}" for e in errors[:5])
            if len(errors) > 5:
                detail += f"; and {len(errors) - 5} more"
        super().__init__(detail)
        self.errors = errors

    @classmethod
    def at(cls, pointer: str, detail: str) -> "Invalid":
        """One field's problem."""
        return cls([{"pointer": pointer, "detail": detail}])
