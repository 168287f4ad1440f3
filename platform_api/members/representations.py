"""How the API and the admin command line show a member, one function per resource.

The TypedDicts are named after the openapi.yaml component schemas they produce. Every audience
of a member is built on the public view, so that each field is laid out in one place. A member
here is an ORM Member or a MemberRow alike (both are MemberFacts).
"""

from __future__ import annotations

from typing import TypedDict

from ..api.schemas import rfc3339
from .models import MemberFacts


class MemberRef(TypedDict):
    """openapi.yaml MemberRef: the member behind an object (a listing, a profile, a match)."""

    id: str
    name: str
    country: str
    overseas: bool


class MemberPublic(TypedDict):
    """openapi.yaml MemberPublic: what every member may see of an active member."""

    id: str
    name: str
    kind: str
    country: str
    overseas: bool
    website: str | None
    description: dict | None
    contact: dict | None
    created_at: str


class MemberOwn(MemberPublic):
    """openapi.yaml MemberOwn: the public view plus what only the member and the admins see."""

    status: str
    email: str | None
    updated_at: str


class MemberAdmin(MemberOwn):
    """Not in the contract: what `platform-admin members` prints (--json)."""

    status_reason: str | None


class MeClient(TypedDict):
    """openapi.yaml Me.client: the OAuth client behind the token (the admin view builds on it)."""

    client_id: str
    name: str
    type: str


class MePerson(TypedDict):
    """openapi.yaml Me.person: the person who approved the token (the admin view builds on it)."""

    id: str
    email: str
    role: str


class Me(TypedDict):
    """openapi.yaml Me: the caller as GET /v1/me shows it."""

    member: MemberOwn
    client: MeClient
    person: MePerson | None
    scopes: list[str]
    token_expires_at: str


def member_ref(member: MemberFacts, home_country: str) -> MemberRef:
    return {"id": member.id, "name": member.name, "country": member.country,
            "overseas": member.is_overseas(home_country)}


def member_public(member: MemberFacts, home_country: str) -> MemberPublic:
    return {
        "id": member.id,
        "name": member.name,
        "kind": member.kind,
        "country": member.country,
        "overseas": member.is_overseas(home_country),
        "website": member.website,
        "description": member.description,
        "contact": member.contact,
        "created_at": rfc3339(member.created_at),
    }


def member_own(member: MemberFacts, home_country: str) -> MemberOwn:
    return {**member_public(member, home_country),
            "status": member.status, "email": member.email, "updated_at": rfc3339(member.updated_at)}


def member_view(member: MemberFacts, *, viewer_id: str, home_country: str) -> MemberOwn | MemberPublic:
    """openapi.yaml MemberView: the own view when the member is the viewer, the public view otherwise."""
    return member_own(member, home_country) if member.id == viewer_id else member_public(member, home_country)


def member_admin(member: MemberFacts, home_country: str) -> MemberAdmin:
    return {**member_own(member, home_country), "status_reason": member.status_reason}


def me_client(client) -> MeClient:
    """An OAuth client (oauth's ClientInfo or OAuthClient: oauth builds on members, not the reverse)."""
    return {"client_id": client.client_id, "name": client.name, "type": client.client_type}


def me_person(user) -> MePerson:
    """A person (oauth's PersonInfo or an accounts User: accounts builds on members, not the reverse)."""
    return {"id": user.id, "email": user.email, "role": user.role}


def me(principal, home_country: str) -> Me:
    """`principal` is the request's (api.auth.Principal as oauth.bearer implements it)."""
    return {
        "member": member_own(principal.member_row, home_country),
        "client": me_client(principal.client),
        "person": me_person(principal.user) if principal.user is not None else None,
        "scopes": sorted(principal.scopes),
        "token_expires_at": rfc3339(principal.token.access_expires_at),
    }
