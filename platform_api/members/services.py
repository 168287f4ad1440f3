"""Membership logic: creation, the status lifecycle, profiles and the directory."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import events
from ..db import is_id
from ..exceptions import Forbidden, InvalidState, NotFound
from . import signals
from .models import Member
from .representations import member_own

# action -> (states it may start from, state it leads to)
TRANSITIONS = {
    "approve": (("pending",), "active"),
    "suspend": (("active",), "suspended"),
    "reinstate": (("suspended",), "active"),
    "terminate": (("pending", "active", "suspended"), "terminated"),
}
# action -> the event it emits (to the member itself)
EVENTS = {"suspend": "member.suspended", "reinstate": "member.reinstated"}


def get(*, session: Session, member_id: str) -> Member | None:
    """The member with this ID, in any status, or None."""
    if not is_id(member_id):
        return None
    return session.get(Member, member_id)


def get_visible(*, session: Session, member_id: str, viewer: Member) -> Member:
    """A member the viewer may see (any active member, or itself); 404 otherwise."""
    member = get(session=session, member_id=member_id)
    if member is None or (member.status != "active" and member.id != viewer.id):
        raise NotFound("member")
    return member


def directory_query(*, kind: str | None = None, country: str | None = None, q: str | None = None):
    """Active members, filtered, for the public directory."""
    stmt = select(Member).where(Member.status == "active")
    if kind:
        stmt = stmt.where(Member.kind == kind)
    if country:
        stmt = stmt.where(Member.country == country)
    if q:
        stmt = stmt.where(func.lower(Member.name).contains(q.strip().lower(), autoescape=True))
    return stmt


def get_all(*, session: Session, status: str | None = None, kind: str | None = None) -> list[Member]:
    """Every member (admin view), newest first."""
    stmt = select(Member).order_by(Member.created_at.desc(), Member.id.desc())
    if status:
        stmt = stmt.where(Member.status == status)
    if kind:
        stmt = stmt.where(Member.kind == kind)
    return list(session.scalars(stmt))


def create(*, session: Session, name: str, kind: str, country: str, email=None, website=None) -> Member:
    """A new member in status pending."""
    member = Member(name=name.strip(), kind=kind, country=country, email=email, website=website, status="pending")
    session.add(member)
    session.flush()
    return member


def transition(*, session: Session, member: Member, action: str, reason: str | None = None) -> dict[str, int]:
    """Move a member through its lifecycle; InvalidState when its status does not allow it.

    Returns what the features that react to it did (signals.member_status_changed): a suspension
    revokes the member's tokens, a termination its clients and people too.
    """
    sources, target = TRANSITIONS[action]
    if member.status not in sources:
        allowed = sorted(a for a, (src, _t) in TRANSITIONS.items() if member.status in src)
        raise InvalidState(
            f"Cannot {action} a member in status '{member.status}'"
            + (f"; allowed: {', '.join(allowed)}." if allowed else "; it is final."),
            allowed_actions=allowed,
        )
    member.status = target
    member.status_reason = reason
    session.flush()
    if action in EVENTS:  # to the member alone: nobody else is told of its standing
        events.emit(session, EVENTS[action], subject=("member", member.id),
                    recipients={member.id: {"object": member_own(member, events.home_country())}})
    return signals.send(signals.member_status_changed, action, session=session, member=member)


def update_profile(*, session: Session, member: Member, changes: dict) -> Member:
    """Apply a validated profile patch (description, website, contact)."""
    for key in ("description", "website", "contact"):
        if key in changes:
            setattr(member, key, changes[key])
    session.flush()
    return member


def ensure_own(member: Member, viewer: Member) -> None:
    if member.id != viewer.id:
        raise Forbidden("A member may change only its own profile.")
