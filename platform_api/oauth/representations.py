"""How the admin command line shows an OAuth client (never its secret or hash).

The API shows a client only inside GET /v1/me (openapi.yaml Me.client); that view is defined
with Me in members.representations, which oauth may use (members may not use oauth), and the
admin view builds on it, so that each field is laid out in one place.
"""

from __future__ import annotations

from ..api.schemas import rfc3339
from ..members.representations import MeClient, me_client
from .models import OAuthClient


class ClientAdmin(MeClient):
    """Not in the contract: what `platform-admin clients` prints (--json)."""

    member_id: str
    grants: list[str]
    scopes: list[str]
    redirect_uris: list[str]
    dpop: bool  # dpop_bound_access_tokens: every token request must carry a DPoP proof
    created_at: str
    secret_rotated_at: str | None
    revoked_at: str | None


def client_admin(client: OAuthClient) -> ClientAdmin:
    return {
        **me_client(client),
        "member_id": client.member_id,
        "grants": list(client.grant_types),
        "scopes": list(client.scopes),
        "redirect_uris": list(client.redirect_uris),
        "dpop": bool(client.dpop_bound_access_tokens),
        "created_at": rfc3339(client.created_at),
        "secret_rotated_at": rfc3339(client.secret_rotated_at),
        "revoked_at": rfc3339(client.revoked_at),
    }
