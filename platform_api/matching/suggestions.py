"""Suggestions: the best-scored counterparts of a listing or of an investor profile.

Candidates are prefiltered in SQL with indexable predicates (published listings of active
members in one of the profile's fields, TRL within one level of the profile's range; or the
mirror image for profiles), at most MAX_CANDIDATES of them - those inside the TRL range and
offering a deal type the other side does first, then the newest - and only those are scored in
Python. Only the top `limit` are loaded in full for the response.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import String, bindparam, case, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from ..investors.models import FIELD_BITS, InvestorProfile
from ..members.models import Member
from ..technologies.models import Technology, deal_mask
from . import fx, scoring

MAX_CANDIDATES = 500
TRL_SLACK = 1  # candidates may be this many TRL levels outside the profile's range


@dataclass(frozen=True)
class Suggestion:
    id: str
    score: float
    factors: list[scoring.Factor]


def mandate_of(p) -> scoring.Mandate:
    return scoring.Mandate(p.id, list(p.fields), p.trl_min, p.trl_max, p.ticket_min, p.ticket_max, p.ticket_currency,
                           list(p.countries or []), list(p.deal_types), list(p.keywords or []), dict(p.terms or {}))


def listing_of(t, terms: frozenset) -> scoring.Listing:
    return scoring.Listing(t.id, t.field, t.trl, list(t.deal_types), t.price_amount, t.price_currency, t.origin_country,
                           list(t.countries_available or []), terms)


def indexed_terms(session: Session, ids: list[str], *, only: set[str] | None = None) -> dict[str, frozenset]:
    """Listing terms as the full-text index already holds them (title, keywords, IPC classes, summary).

    Tokenising hundreds of summaries per request cost ~100 ms; the index has the very tokens of
    technologies.search.tokens, written when the listing was saved. With `only`, just those terms
    are kept (on PostgreSQL, by the database: far less to transfer). A listing missing from the
    index is tokenised here instead.
    """
    if not ids:
        return {}
    params: dict = {"ids": ids}
    if session.get_bind().dialect.name == "sqlite":
        stmt = text("SELECT technology_id, title || ' ' || keywords || ' ' || body FROM technology_search "
                    "WHERE technology_id IN :ids").bindparams(bindparam("ids", expanding=True))
    elif only is None:
        stmt = text("SELECT technology_id, array_to_string(tsvector_to_array(document), ' ') FROM technology_search "
                    "WHERE technology_id IN :ids").bindparams(bindparam("ids", expanding=True))
    else:
        stmt = text("SELECT technology_id, array_to_string(ARRAY(SELECT lexeme "
                    "FROM unnest(tsvector_to_array(document)) AS lexeme WHERE lexeme = ANY(:only)), ' ') "
                    "FROM technology_search WHERE technology_id IN :ids"
                    ).bindparams(bindparam("ids", expanding=True), bindparam("only", type_=ARRAY(String)))
        params["only"] = sorted(only)
    found = {ident: frozenset((doc or "").split()) for ident, doc in session.execute(stmt, params)}
    missing = [i for i in ids if i not in found]
    if missing:
        rows = session.execute(select(Technology.id, Technology.title, Technology.keywords, Technology.summary,
                                      Technology.ipc).where(Technology.id.in_(missing)))
        found.update({row.id: scoring.listing_terms(row.title, row.keywords, row.summary, row.ipc) for row in rows})
    if only is not None:
        found = {ident: terms & only for ident, terms in found.items()}
    return found


def _ranked(items: list[Suggestion], limit: int) -> list[Suggestion]:
    # Candidates arrive best-prefiltered and newest first: a stable sort keeps that order for ties.
    return sorted(items, key=lambda s: -s.score)[:limit]


_LISTING_COLUMNS = (
    Technology.id, Technology.field, Technology.trl, Technology.deal_types, Technology.price_amount,
    Technology.price_currency, Technology.origin_country, Technology.countries_available,
)


_PROFILE_COLUMNS = (
    InvestorProfile.id, InvestorProfile.fields, InvestorProfile.trl_min, InvestorProfile.trl_max,
    InvestorProfile.ticket_min, InvestorProfile.ticket_max, InvestorProfile.ticket_currency, InvestorProfile.countries,
    InvestorProfile.deal_types, InvestorProfile.keywords, InvestorProfile.terms,
)


def for_profile(session: Session, *, profile: InvestorProfile, weights: dict, limit: int) -> list[Suggestion]:
    """Published listings of other active members, best first, for this profile."""
    inside = Technology.trl.between(profile.trl_min, profile.trl_max)
    offers = Technology.deal_mask.op("&")(profile.deal_mask) != 0
    stmt = (
        select(*_LISTING_COLUMNS)
        .join(Member, Member.id == Technology.owner_id)
        .where(
            Technology.status == "published",
            Member.status == "active",
            Technology.owner_id != profile.owner_id,
            Technology.field.in_(profile.fields),
            Technology.trl.between(profile.trl_min - TRL_SLACK, profile.trl_max + TRL_SLACK),
        )
        .order_by(case((inside, 0), else_=1), case((offers, 0), else_=1),
                  Technology.published_at.desc(), Technology.id.desc())
        .limit(MAX_CANDIDATES)
    )
    rows = session.execute(stmt).all()
    mandate = mandate_of(profile)
    rates = fx.latest_rates(session, {r.price_currency for r in rows} | {profile.ticket_currency})
    terms = indexed_terms(session, [r.id for r in rows], only=set(mandate.terms))
    out = []
    for row in rows:
        total, factors = scoring.score(listing_of(row, terms[row.id]), mandate, weights, rates)
        out.append(Suggestion(row.id, total, factors))
    return _ranked(out, limit)


def for_technology(session: Session, *, tech: Technology, weights: dict, limit: int) -> list[Suggestion]:
    """Active profiles of other active members, best first, for this listing."""
    inside = (InvestorProfile.trl_min <= tech.trl) & (InvestorProfile.trl_max >= tech.trl)
    does = InvestorProfile.deal_mask.op("&")(deal_mask(tech.deal_types)) != 0
    stmt = (
        select(*_PROFILE_COLUMNS)
        .join(Member, Member.id == InvestorProfile.owner_id)
        .where(
            InvestorProfile.active.is_(True),
            Member.status == "active",
            InvestorProfile.owner_id != tech.owner_id,
            InvestorProfile.field_mask.op("&")(FIELD_BITS[tech.field]) != 0,
            InvestorProfile.trl_min <= tech.trl + TRL_SLACK,
            InvestorProfile.trl_max >= tech.trl - TRL_SLACK,
        )
        .order_by(case((inside, 0), else_=1), case((does, 0), else_=1),
                  InvestorProfile.updated_at.desc(), InvestorProfile.id.desc())
        .limit(MAX_CANDIDATES)
    )
    profiles = session.execute(stmt).all()
    listing = listing_of(tech, indexed_terms(session, [tech.id])[tech.id])
    rates = fx.latest_rates(session, {p.ticket_currency for p in profiles} | {tech.price_currency})
    out = []
    for p in profiles:
        total, factors = scoring.score(listing, mandate_of(p), weights, rates)
        out.append(Suggestion(p.id, total, factors))
    return _ranked(out, limit)

