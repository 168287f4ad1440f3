"""Loading the demo catalogue through the features' own schemas and services.

Nothing is written around the rules: members are created and approved, listings created as drafts,
submitted and approved, profiles, matches and the referral go through their services, so that
validation, the search index and the events are exactly what the API would have produced.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..api.body import load as validated
from ..exceptions import Conflict
from ..investors import services as investors
from ..investors.schemas import ProfileCreateSchema
from ..matching import fx
from ..matching import services as matching
from ..matching.models import FxRate
from ..matching.schemas import CloseSchema
from ..members import services as members
from ..members.models import Member
from ..members.schemas import MemberCreateSchema
from ..referrals import services as referrals
from ..referrals.schemas import EVENT_SCHEMAS, ReferralCreateSchema
from ..technologies import services as technologies
from ..technologies.schemas import TechnologyCreateSchema
from . import catalogue


def existing_member(session: Session) -> Member | None:
    """A member of the demo catalogue already in the database (same name and country), if any."""
    for spec in catalogue.MEMBERS.values():
        found = session.scalars(
            select(Member).where(Member.name == spec["name"], Member.country == spec["country"]).limit(1)
        ).first()
        if found is not None:
            return found
    return None


def _title(title: dict) -> str:
    return title.get("en") or next(iter(title.values()))


def load(*, session: Session, today: date) -> dict:
    """Write the whole demo catalogue; Conflict if any of its members exists already."""
    found = existing_member(session)
    if found is not None:
        raise Conflict(f"The demo catalogue is already loaded: {found.name} exists (ID {found.id}); "
                       "nothing was written. Load it only into a database without it.")
    summary: dict = {"members": {}, "technologies": {}, "investor_profiles": {}, "matches": {}, "referrals": {}}

    people: dict[str, Member] = {}
    for key, spec in catalogue.MEMBERS.items():
        member = members.create(session=session, **MemberCreateSchema().load(spec))
        members.transition(session=session, member=member, action="approve")
        people[key] = member
        summary["members"][key] = {"id": member.id, "name": member.name, "kind": member.kind,
                                   "country": member.country, "status": member.status}

    listings = {}
    for key, owner, status, body in catalogue.TECHNOLOGIES:
        data = validated(TechnologyCreateSchema(), body)
        tech = technologies.create(session=session, owner=people[owner], data=data)
        technologies.transition(session=session, tech=tech, action="submit")
        if status == "published":
            technologies.transition(session=session, tech=tech, action="approve")
        listings[key] = tech
        summary["technologies"][key] = {"id": tech.id, "owner": owner, "status": tech.status,
                                        "field": tech.field, "title": _title(tech.title)}

    profiles = {}
    for key, owner, body in catalogue.PROFILES:
        profile = investors.create(session=session, owner=people[owner], data=validated(ProfileCreateSchema(), body))
        profiles[key] = profile
        summary["investor_profiles"][key] = {"id": profile.id, "owner": owner, "name": profile.name}

    rates = [(today, base, quote, Decimal(rate)) for base, quote, rate in catalogue.FX_RATES
             if session.get(FxRate, (today, base, quote)) is None]  # never replace an operator's rate
    summary["fx_rates"] = fx.load(session, rates)[0]

    for tech_key, profile_key, proposer, outcome, message in catalogue.MATCHES:
        tech, profile = listings[tech_key], profiles[profile_key]
        by = profile.owner if proposer == "investor" else tech.owner
        other = tech.owner if proposer == "investor" else profile.owner
        match = matching.propose(session=session, member=by, data={
            "technology_id": tech.id, "investor_profile_id": profile.id, "message": message})
        matching.respond(session=session, match=match, member_id=other.id, action="accept")
        if outcome == "deal_closed":
            deal = dict(catalogue.DEAL)
            signed = today - timedelta(days=deal.pop("days_ago"))
            data = validated(CloseSchema(), {**deal, "signed_on": signed.isoformat()})
            matching.close(session=session, match=match, member_id=other.id, data=data)
        summary["matches"][f"{tech_key}+{profile_key}"] = {"id": match.id, "status": match.status}

    claimant_key, institution_key, tech_key, body = catalogue.REFERRAL
    claimant, institution = people[claimant_key], people[institution_key]
    data = validated(ReferralCreateSchema(), {**body, "institution_id": institution.id,
                                              "technology_id": listings[tech_key].id})
    referral = referrals.create(session=session, claimant=claimant, data=data)
    event = dict(catalogue.REFERRAL_EVENT)
    referrals.post_event(session=session, referral=referral, actor=institution, event_type=event["type"],
                         data=validated(EVENT_SCHEMAS[event["type"]](), event))
    summary["referrals"][f"{claimant_key}_licence"] = {"id": referral.id, "reference": referral.reference,
                                                       "status": referral.status}
    return summary
