"""How the admin command line shows a person who signs in for a member (never the password hash).

The API shows a person only inside GET /v1/me (openapi.yaml Me.person); that view is defined
with Me in members.representations, which accounts may use (members may not use accounts), and
the admin view builds on it, so that each field is laid out in one place.
"""

from __future__ import annotations

from ..api.schemas import rfc3339
from ..members.representations import MePerson, me_person
from .models import User


class UserAdmin(MePerson):
    """Not in the contract: what `platform-admin users` prints (--json)."""

    member_id: str
    member_name: str
    disabled_at: str | None
    last_sign_in_at: str | None
    created_at: str


def user_admin(user: User) -> UserAdmin:
    return {
        **me_person(user),
        "member_id": user.member_id,
        "member_name": user.member.name,
        "disabled_at": rfc3339(user.disabled_at),
        "last_sign_in_at": rfc3339(user.last_sign_in_at),
        "created_at": rfc3339(user.created_at),
    }
