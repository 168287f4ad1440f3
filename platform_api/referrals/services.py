"""Referrals: creation, who may see them, the timeline and its rules."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from .. import disclosure, events
from ..db import is_id, utcnow
from ..exceptions import Forbidden, Invalid, InvalidState, NotFound
from ..matching.models import Match
from ..members.models import Member
from ..technologies import services as technologies
from . import chain, representations, rules
from .models import PROCEDURES, STATUSES, Referral, ReferralEvent
from .references import next_reference
from .schemas import event_content


def _problem(pointer: str, detail: str) -> Invalid:
    return Invalid([{"pointer": pointer, "detail": detail}])


def get(*, session: Session, referral_id: str) -> Referral | None:
    """The referral with this ID, or None (admin use: no visibility check)."""
    if not is_id(referral_id):
        return None
    return session.get(Referral, referral_id)


def get_visible(*, session: Session, referral_id: str, member_id: str, lock: bool = False) -> Referral:
    """A referral the member is a party to; 404 exactly as for a missing ID otherwise.

    With `lock`, the row is locked (PostgreSQL) so that appends to its timeline are serialised.
    """
    referral = get(session=session, referral_id=referral_id)
    if referral is None or referral.role_of(member_id) is None:
        raise NotFound("referral")
    if lock:
        stmt = select(Referral).where(Referral.id == referral.id).with_for_update(of=Referral)
        referral = session.scalars(stmt.execution_options(populate_existing=True)).one()
    return referral


def list_query(*, member_id: str, params: dict):
    """The caller's referrals in any role (or the one asked for), filtered."""
    by_role = {
        "claimant": Referral.claimant_id == member_id,
        "respondent": Referral.respondent_member_id == member_id,
        "institution": Referral.institution_id == member_id,
    }
    stmt = select(Referral)
    if params.get("role"):
        stmt = stmt.where(by_role[params["role"]])
    else:
        stmt = stmt.where(or_(*by_role.values()))
    if params.get("status"):
        stmt = stmt.where(Referral.status == params["status"])
    if params.get("procedure"):
        stmt = stmt.where(Referral.procedure == params["procedure"])
    return stmt


def get_all(*, session: Session, status: str | None = None) -> list[Referral]:
    """Every referral, newest first (admin view)."""
    stmt = select(Referral).order_by(Referral.created_at.desc(), Referral.id.desc())
    if status:
        stmt = stmt.where(Referral.status == status)
    return list(session.scalars(stmt))


def _active_member(session: Session, member_id: str) -> Member | None:
    member = session.get(Member, member_id) if is_id(member_id) else None
    return member if member is not None and member.status == "active" else None


def _check_institution(session: Session, claimant: Member, institution_id: str) -> Member:
    institution = _active_member(session, institution_id)
    if institution is None:
        raise _problem("/institution_id", "No active member with this ID.")
    if institution.kind != "adr_institution":
        raise _problem("/institution_id", "This member is not an arbitration or mediation institution (kind adr_institution).")
    if institution.id == claimant.id:
        raise _problem("/institution_id", "The claimant cannot be the institution of its own dispute.")
    return institution


def _check_respondent(session: Session, claimant: Member, institution: Member, respondent: dict) -> Member | None:
    if "member_id" not in respondent:
        return None
    member = _active_member(session, respondent["member_id"])
    if member is None:
        raise _problem("/respondent/member_id", "No active member with this ID.")
    if member.id == claimant.id:
        raise _problem("/respondent/member_id", "The claimant cannot be its own respondent.")
    if member.id == institution.id:
        raise _problem("/respondent/member_id", "The institution cannot be a party to the dispute.")
    return member


def _check_technology(session: Session, claimant: Member, technology_id: str | None) -> None:
    if technology_id is None:
        return
    tech = technologies.get(session=session, technology_id=technology_id)
    if tech is None or not technologies.visible_to(tech, claimant.id):
        raise _problem("/technology_id", "No technology with this ID.")
    if tech.owner_id != claimant.id:
        raise _problem("/technology_id", "The technology must be one of the claimant's own listings.")


def _check_match(session: Session, claimant: Member, match_id: str | None) -> None:
    # A match is visible only to its two sides: one the claimant is not a side of reads, here
    # too, as one that does not exist.
    if match_id is None:
        return
    match = session.get(Match, match_id) if is_id(match_id) else None
    if match is None or claimant.id not in (match.technology_owner_id, match.investor_id):
        raise _problem("/match_id", "No match with this ID.")


def create(*, session: Session, claimant: Member, data: dict, user=None, client_id: str | None = None) -> Referral:
    """A new referral in status submitted, with event 1 of its timeline."""
    institution = _check_institution(session, claimant, data["institution_id"])
    respondent = data["respondent"]
    respondent_member = _check_respondent(session, claimant, institution, respondent)
    _check_technology(session, claimant, data["technology_id"])
    _check_match(session, claimant, data["match_id"])
    now = _now()
    court, amount = data["court"], data["amount_in_dispute"]
    referral = Referral(
        reference=next_reference(session, now.year),
        claimant=claimant,
        institution=institution,
        respondent_member=respondent_member,
        respondent_name=None if respondent_member else respondent["name"].strip(),
        respondent_country=None if respondent_member else respondent["country"],
        procedure=data["procedure"],
        basis=data["basis"],
        court_name=court["name"].strip() if court else None,
        court_case_number=court["case_number"].strip() if court else None,
        dispute_type=data["dispute_type"],
        ip_kinds=list(data["ip_kinds"]),
        technology_id=data["technology_id"],
        match_id=data["match_id"],
        amount=amount["amount"] if amount else None,
        currency=amount["currency"] if amount else None,
        language=data["language"],
        seat=data["seat"],
        governing_law=data["governing_law"],
        summary=data["summary"],
        requested_relief=data["requested_relief"],
        status="submitted",
        created_by_client_id=client_id,
        created_at=now,
        updated_at=now,
    )
    session.add(referral)
    session.flush()
    # Event 1 carries the facts as stored (SQLite may round a huge amount), so that they match
    # the referral for good.
    session.refresh(referral, ["amount"])
    facts = representations.submitted_content(referral)
    event = _append(session, referral, "submitted", facts, actor=claimant, user=user, at=now)
    _tell(session, referral, "referral.created", event)
    return referral


def _tell(session: Session, referral: Referral, event_type: str, event: ReferralEvent) -> None:
    """A referral's event, to its parties only (claimant, institution, a respondent that is a
    member), each with its own view; the timeline entry goes with it."""
    entry = representations.referral_event(event)
    parties = {referral.claimant_id, referral.institution_id, referral.respondent_member_id} - {None}
    events.emit(session, event_type, subject=("referral", referral.id),
                recipients={party: {"object": representations.referral(referral, viewer_id=party), "event": entry}
                            for party in sorted(parties)})


def _now():
    # Milliseconds: the hashed timestamp is the one the API shows, so nothing finer is stored.
    now = utcnow()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _last_event(session: Session, referral: Referral) -> ReferralEvent | None:
    stmt = (
        select(ReferralEvent)
        .where(ReferralEvent.referral_id == referral.id)
        .order_by(ReferralEvent.sequence.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def _append(session: Session, referral: Referral, event_type: str, content: dict, *, actor: Member, user, at) -> ReferralEvent:
    last = _last_event(session, referral)
    event = ReferralEvent(
        referral_id=referral.id,
        sequence=1 if last is None else last.sequence + 1,
        type=event_type,
        actor_member_id=actor.id,
        actor_member_name=actor.name,
        actor_user_id=user.id if user is not None else None,
        actor_user_email=user.email if user is not None else None,
        occurred_at=at,
        data=content,
    )
    chain.seal(event, chain.GENESIS if last is None else last.hash)
    session.add(event)
    session.flush()
    return event


def check_event_allowed(referral: Referral, member_id: str, event_type: str) -> None:
    """403 when this party may never post the type; 409 naming what it may post when the status forbids it."""
    role = referral.role_of(member_id)
    if event_type not in rules.ROLE_EVENTS[role]:
        raise Forbidden(
            f"The {role} of a referral may not post '{event_type}' events; "
            f"it may post: {', '.join(rules.ROLE_EVENTS[role])}."
        )
    if event_type not in rules.STATUS_EVENTS[referral.status]:
        allowed = rules.allowed_events(referral.status, role)
        raise InvalidState(
            f"A referral in status '{referral.status}' does not take '{event_type}' events"
            + (f"; you may post now: {', '.join(allowed)}." if allowed else "."),
            allowed_actions=allowed,
        )


def post_event(*, session: Session, referral: Referral, actor: Member, event_type: str, data: dict, user=None) -> ReferralEvent:
    """Append a validated event (the referral row locked by the caller) and move the status on."""
    check_event_allowed(referral, actor.id, event_type)
    content = event_content(event_type, data)
    if event_type == "closed" and content["outcome"] not in rules.OUTCOMES_BY_PROCEDURE[referral.procedure]:
        allowed = ", ".join(rules.OUTCOMES_BY_PROCEDURE[referral.procedure])
        raise _problem("/outcome", f"A {referral.procedure.replace('_', ' ')} cannot end so; one of: {allowed}.")
    now = _now()
    event = _append(session, referral, event_type, content, actor=actor, user=user, at=now)
    referral.status, referral.outcome = rules.next_status(referral.status, referral.outcome, event_type, content)
    # Every event changes the referral's ETag, also a note.
    referral.updated_at = now
    session.flush()
    _tell(session, referral, "referral.event_added", event)
    return event


def events_query(referral: Referral):
    """The referral's timeline, oldest first."""
    return select(ReferralEvent).where(ReferralEvent.referral_id == referral.id).order_by(ReferralEvent.sequence)


def verify(*, session: Session, referral: Referral | None = None) -> tuple[int, int, list[chain.Break]]:
    """Recompute the chains of one referral or all: (referrals checked, events checked, breaks)."""
    referrals = [referral] if referral is not None else list(
        session.scalars(select(Referral).order_by(Referral.created_at, Referral.id))
    )
    breaks: list[chain.Break] = []
    events_checked = 0
    for item in referrals:
        events = list(session.scalars(events_query(item)))
        events_checked += len(events)
        breaks += chain.verify(item, events, representations.submitted_content(item))
    return len(referrals), events_checked, breaks


def totals(*, session: Session) -> dict:
    """Anonymous referral counts by procedure and by status (every value, zeros included), with
    small counts hidden by the disclosure rule (platform_api/disclosure.py)."""
    by_procedure = dict(session.execute(select(Referral.procedure, func.count()).group_by(Referral.procedure)).all())
    by_status = dict(session.execute(select(Referral.status, func.count()).group_by(Referral.status)).all())
    count = sum(by_status.values())
    total, procedures = disclosure.breakdown(count, [by_procedure.get(p, 0) for p in PROCEDURES])
    _total, statuses = disclosure.breakdown(count, [by_status.get(st, 0) for st in STATUSES])
    return {
        "total": total,
        "by_procedure": [{"procedure": p, "count": n} for p, n in zip(PROCEDURES, procedures)],
        "by_status": [{"status": st, "count": n} for st, n in zip(STATUSES, statuses)],
    }
