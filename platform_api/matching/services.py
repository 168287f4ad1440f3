"""Introductions: who may propose, the status machine, and recording a deal's outcome."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from .. import events
from ..db import is_id, utcnow
from ..exceptions import Conflict, Forbidden, Invalid, InvalidState, NotFound
from ..investors import services as investors
from ..members.models import Member
from ..technologies import services as technologies
from . import representations
from .models import OPEN_STATUSES, Match
from .rules import ACTIONS, allowed_actions, may, role_of

RESULT = {"accept": "accepted", "decline": "declined", "withdraw": "withdrawn"}


def _problem(pointer: str, detail: str) -> Invalid:
    return Invalid([{"pointer": pointer, "detail": detail}])


def get_visible(*, session: Session, match_id: str, member_id: str) -> Match:
    """A match the member is a side of; any other is 404 as for a missing ID."""
    match = session.get(Match, match_id) if is_id(match_id) else None
    if match is None or member_id not in (match.technology_owner_id, match.investor_id):
        raise NotFound("match")
    return match


def list_query(*, member_id: str, params: dict):
    """The member's matches, as either side, filtered by status and role."""
    role = params.get("role")
    if role == "technology_owner":
        stmt = select(Match).where(Match.technology_owner_id == member_id)
    elif role == "investor":
        stmt = select(Match).where(Match.investor_id == member_id)
    else:
        stmt = select(Match).where(or_(Match.technology_owner_id == member_id, Match.investor_id == member_id))
    if params.get("status"):
        stmt = stmt.where(Match.status == params["status"])
    return stmt


def propose(*, session: Session, member: Member, data: dict, client_id: str | None = None) -> Match:
    """A new introduction, proposed by the listing's owner or by the profile's owner."""
    tech = technologies.get(session=session, technology_id=data["technology_id"])
    if tech is None or not technologies.visible_to(tech, member.id):
        raise _problem("/technology_id", "No technology listing with this ID is visible to you.")
    profile = investors.get(session=session, profile_id=data["investor_profile_id"])
    if profile is None or not investors.visible_to(profile, member.id):
        raise _problem("/investor_profile_id", "No investor profile with this ID is visible to you.")
    if tech.owner_id == profile.owner_id:
        raise _problem("/investor_profile_id", "The listing and the profile belong to the same member: "
                       "a member is not introduced to itself.")
    if tech.owner_id == member.id:
        role, other = "technology_owner", profile.owner
    elif profile.owner_id == member.id:
        role, other = "investor", tech.owner
    else:
        raise Forbidden("An introduction is proposed by the listing's owner or by the investor profile's owner; "
                        "your member is neither.")
    _ensure_open_to_deals(tech, profile)
    if other.status != "active":
        raise Conflict(f"{other.name} is not an active member; it cannot be introduced now.")
    existing = session.scalars(
        select(Match.id).where(Match.technology_id == tech.id, Match.investor_profile_id == profile.id,
                               Match.status.in_(OPEN_STATUSES))
    ).first()
    if existing:
        raise Conflict(f"An introduction between this listing and this profile is already open (match {existing}).")
    match = Match(technology=tech, technology_id=tech.id, profile=profile, investor_profile_id=profile.id,
                  technology_owner_id=tech.owner_id, investor_id=profile.owner_id, proposed_by=role,
                  status="proposed", message=data.get("message"), created_by_client_id=client_id)
    session.add(match)
    session.flush()
    _tell(session, match, "match.proposed")
    return match


def _tell(session: Session, match: Match, event_type: str) -> None:
    """A match's event, to its two sides only, each with its own view (what it may do next)."""
    home = events.home_country()
    sides = (match.technology_owner_id, match.investor_id)
    events.emit(session, event_type, subject=("match", match.id),
                recipients={side: {"object": representations.match(match, viewer_id=side, home_country=home)}
                            for side in sides})


def _ensure_open_to_deals(tech, profile) -> None:
    if tech.status != "published":
        raise Conflict(f"The listing is {tech.status}: only published listings are introduced to investors.")
    if not profile.active:
        raise Conflict("The investor profile is inactive: only active profiles are introduced to listings.")


def _check(match: Match, member_id: str, action: str) -> None:
    role = role_of(match, member_id)
    if may(match, role, action):
        return
    status, who = ACTIONS[action]
    if match.status != status:
        allowed = allowed_actions(match, role)
        raise InvalidState(
            f"Cannot {action} a match in status '{match.status}'"
            + (f"; allowed now: {', '.join(allowed)}." if allowed else "; no action is allowed in this status."),
            allowed_actions=allowed,
        )
    if who == "proposer":
        raise Forbidden(f"Only the side that proposed an introduction may {action} it.")
    raise Forbidden(f"Only the side that did not propose an introduction may {action} it; your side proposed it.")


def respond(*, session: Session, match: Match, member_id: str, action: str, data: dict | None = None) -> Match:
    """accept, decline (with a reason) or withdraw a proposed match."""
    _check(match, member_id, action)
    if action == "accept":
        _ensure_open_to_deals(match.technology, match.profile)
    if action == "decline":
        match.decline_reason = data["reason"]
        match.decline_note = data.get("note")
    match.status = RESULT[action]
    match.responded_at = utcnow()
    session.flush()
    _tell(session, match, f"match.{RESULT[action]}")
    return match


def close(*, session: Session, match: Match, member_id: str, data: dict) -> Match:
    """Record the outcome of an accepted match; an assignment transfers the listing (transacted)."""
    _check(match, member_id, "close")
    tech = match.technology
    if data["outcome"] == "no_deal":
        match.no_deal_reason = data["reason"]
        match.no_deal_note = data.get("note")
    else:
        deal_type = data["deal_type"]
        if deal_type not in tech.deal_types:
            offered = ", ".join(tech.deal_types)
            raise _problem("/deal_type", f"The listing does not offer {deal_type}; it offers {offered}.")
        if deal_type == "assignment":
            if tech.status == "transacted":
                raise Conflict("The listing was already assigned in another deal (status transacted).")
            if tech.status == "published":
                technologies.transition(session=session, tech=tech, action="transact")
        match.deal_type = deal_type
        match.amount, match.currency = data["amount"]["amount"], data["amount"]["currency"]
        match.signed_on = data["signed_on"]
        recordal = data.get("recordal")
        if recordal:
            match.recordal_office = recordal["office"]
            match.recordal_reference = recordal["reference"]
            match.recorded_on = recordal["recorded_on"]
    match.status = data["outcome"]
    match.closed_at = utcnow()
    session.flush()
    _tell(session, match, "match.closed")
    return match
