"""Investor profiles: who may keep them, who may see them, changes and the directory query."""

from __future__ import annotations

from sqlalchemy import delete, exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import events
from ..db import is_id
from ..exceptions import Conflict, Forbidden, Invalid, NotFound
from ..members.models import Member
from ..technologies.models import deal_mask
from .representations import investor_profile
from .models import INVESTOR_KINDS, InvestorProfile, InvestorProfileCountry, field_mask
from .schemas import range_errors
from .terms import profile_terms

_PLAIN = ("name", "description", "trl_min", "trl_max", "countries", "keywords", "active")


def get(*, session: Session, profile_id: str) -> InvestorProfile | None:
    """The profile with this ID, active or not, or None."""
    if not is_id(profile_id):
        return None
    return session.get(InvestorProfile, profile_id)


def visible_to(profile: InvestorProfile, member_id: str | None) -> bool:
    """Active profiles are everyone's to see; inactive ones only their owner's."""
    return profile.active or (member_id is not None and profile.owner_id == member_id)


def get_visible(*, session: Session, profile_id: str, member_id: str) -> InvestorProfile:
    """A profile the member may see (active, or its own); 404 as for a missing ID otherwise."""
    profile = get(session=session, profile_id=profile_id)
    if profile is None or not visible_to(profile, member_id):
        raise NotFound("investor profile")
    return profile


def get_own(*, session: Session, profile_id: str, member_id: str, doing: str = "change") -> InvestorProfile:
    """A profile the member owns; others' visible profiles are 403, the rest 404."""
    profile = get_visible(session=session, profile_id=profile_id, member_id=member_id)
    if profile.owner_id != member_id:
        raise Forbidden(f"Only the member that keeps an investor profile may {doing} it.")
    return profile


def ensure_may_keep_profiles(member: Member) -> None:
    """403 unless the member is an investor or a financial institution."""
    if member.kind not in INVESTOR_KINDS:
        raise Forbidden(
            f"Only members of kind investor or financial_institution keep investor profiles; "
            f"{member.name} is of kind {member.kind}."
        )


def _apply(profile: InvestorProfile, data: dict) -> None:
    for key in _PLAIN:
        if key in data:
            setattr(profile, key, data[key])
    if "field_list" in data:
        profile.fields = data["field_list"]
        profile.field_mask = field_mask(data["field_list"])
    if "deal_types" in data:
        profile.deal_types = data["deal_types"]
        profile.deal_mask = deal_mask(data["deal_types"])
    current = {
        "ticket_min": {"amount": profile.ticket_min, "currency": profile.ticket_currency},
        "ticket_max": {"amount": profile.ticket_max, "currency": profile.ticket_currency},
    }
    ticket_min = data.get("ticket_min") or current["ticket_min"]
    ticket_max = data.get("ticket_max") or current["ticket_max"]
    errors = range_errors(profile.trl_min, profile.trl_max, ticket_min, ticket_max, given=set(data))
    if errors:
        raise Invalid(errors)
    profile.ticket_min, profile.ticket_max = ticket_min["amount"], ticket_max["amount"]
    profile.ticket_currency = ticket_min["currency"]
    if "keywords" in data or "description" in data:
        profile.terms = profile_terms(profile.keywords, profile.description)


def _sync_countries(session: Session, profile: InvestorProfile) -> None:
    session.execute(delete(InvestorProfileCountry).where(InvestorProfileCountry.profile_id == profile.id))
    for country in sorted(set(profile.countries or [])):
        session.add(InvestorProfileCountry(profile_id=profile.id, country=country))


def create(*, session: Session, owner: Member, data: dict, client_id: str | None = None) -> InvestorProfile:
    """A new profile of `owner` (active unless the data says otherwise)."""
    ensure_may_keep_profiles(owner)
    profile = InvestorProfile(owner_id=owner.id, owner=owner, countries=[], keywords=[], description=None,
                              active=True, created_by_client_id=client_id,
                              trl_min=data["trl_min"], trl_max=data["trl_max"],
                              ticket_currency=data["ticket_min"]["currency"])
    _apply(profile, {"keywords": [], **data})
    session.add(profile)
    session.flush()
    _sync_countries(session, profile)
    session.flush()
    if profile.active:
        _tell(session, profile, "investor_profile.activated")
    return profile


def _tell(session: Session, profile: InvestorProfile, event_type: str) -> None:
    """A profile's event: to its owner, and to every member while the profile is active (an
    inactive profile is its owner's alone; others learn only that the one they saw is gone)."""
    if event_type == "investor_profile.deleted":
        gone = {"object": {"id": profile.id, "deleted": True}}
        view, public = gone, gone if profile.active else None
    else:
        view = {"object": investor_profile(profile, events.home_country())}
        public = view if profile.active else None
        if event_type == "investor_profile.deactivated":
            public = {"object": {"id": profile.id, "active": False}}
    events.emit(session, event_type, subject=("investor_profile", profile.id), recipients={profile.owner_id: view},
                public=public)


def update(*, session: Session, profile: InvestorProfile, data: dict) -> InvestorProfile:
    """Apply a validated patch; the ranges are checked on the profile as it will be."""
    was_active = profile.active
    _apply(profile, data)
    session.flush()
    if "countries" in data:
        _sync_countries(session, profile)
        session.flush()
    if profile.active != was_active:
        _tell(session, profile, "investor_profile.activated" if profile.active else "investor_profile.deactivated")
    else:
        _tell(session, profile, "investor_profile.updated")
    return profile


def remove(*, session: Session, profile: InvestorProfile) -> None:
    """Delete a profile; one that introductions refer to is kept (409): deactivate it instead."""
    try:
        with session.begin_nested():
            session.execute(delete(InvestorProfileCountry).where(InvestorProfileCountry.profile_id == profile.id))
            session.delete(profile)
            session.flush()
    except IntegrityError:
        raise Conflict(
            "This investor profile is part of introductions or deals, which keep a reference to it; "
            "set active to false instead of deleting it."
        ) from None
    _tell(session, profile, "investor_profile.deleted")


def list_query(*, member_id: str, params: dict):
    """Profiles the member may see, filtered: active ones of everyone, its own in any state."""
    own = InvestorProfile.owner_id == member_id
    stmt = select(InvestorProfile)
    if params.get("mine"):
        stmt = stmt.where(own)
    if params.get("active") is False:
        stmt = stmt.where(own, InvestorProfile.active.is_(False))
    elif params.get("active") is True:
        stmt = stmt.where(InvestorProfile.active.is_(True))
    else:
        stmt = stmt.where(or_(InvestorProfile.active.is_(True), own))
    if params.get("owner"):
        stmt = stmt.where(InvestorProfile.owner_id == params["owner"])
    if params.get("field"):
        stmt = stmt.where(InvestorProfile.field_mask.op("&")(field_mask([params["field"]])) != 0)
    if params.get("deal_type"):
        stmt = stmt.where(InvestorProfile.deal_mask.op("&")(deal_mask([params["deal_type"]])) != 0)
    if params.get("country"):
        named = InvestorProfileCountry.profile_id == InvestorProfile.id
        stmt = stmt.where(
            or_(
                exists().where(named, InvestorProfileCountry.country == params["country"]),
                ~exists().where(named),
            )
        )
    return stmt
