"""How a referral, its case facts and its events are shown: to its parties, to the admins, and
as event 1 of its timeline.

The TypedDicts are named after the openapi.yaml component schemas they produce. The case facts
are laid out once (case_facts); the referral as its parties see it and the content of its
`submitted` event both use that layout, and the admin command line shows a part of the former.

The content of the `submitted` event is hashed into the referral's chain (see chain.py) and
compared with the referral's row by verify: its keys and values must never change.
"""

from __future__ import annotations

from typing import TypedDict

from ..api.representations import Money, money
from ..api.schemas import rfc3339
from . import chain, models, rules


class ReferralCourt(TypedDict):
    """openapi.yaml ReferralCourt."""

    name: str
    case_number: str


class ReferralParty(TypedDict):
    """openapi.yaml ReferralParty: a member taking part."""

    id: str
    name: str


class ReferralOutsideParty(TypedDict):
    """openapi.yaml ReferralOutsideParty: a respondent that is not a member."""

    name: str
    country: str


class ReferralMemberRespondent(TypedDict):
    """openapi.yaml ReferralRespondentInput, a member: how the submitted facts name it."""

    member_id: str


class CaseFacts(TypedDict):
    """The case facts that the referral and its submitted event share (case_facts lays them out)."""

    procedure: str
    basis: str
    court: ReferralCourt | None
    dispute_type: str
    ip_kinds: list[str]
    technology_id: str | None
    match_id: str | None
    amount_in_dispute: Money | None
    language: str
    seat: str | None
    governing_law: str | None
    summary: str
    requested_relief: str | None


class SubmittedContent(CaseFacts):
    """openapi.yaml ReferralEvent, submitted: the content fields of event 1 (hashed). In order:
    reference, the facts up to ip_kinds, institution_id, respondent, the rest of the facts."""

    reference: str
    institution_id: str
    respondent: ReferralMemberRespondent | ReferralOutsideParty


class Referral(CaseFacts):
    """openapi.yaml Referral: as its parties see it; `role` and `allowed_events` are the viewer's.
    In order: id, reference, status, outcome, the facts up to ip_kinds, claimant, respondent,
    institution, the rest of the facts, then role, allowed_events and the timestamps."""

    id: str
    reference: str
    status: str
    outcome: str | None
    claimant: ReferralParty
    respondent: ReferralParty | ReferralOutsideParty
    institution: ReferralParty
    role: str | None
    allowed_events: list[str]
    created_at: str
    updated_at: str


class ReferralAdmin(TypedDict):
    """Not in the contract: what `platform-admin referrals list` prints; no case summary or relief."""

    id: str
    reference: str
    status: str
    outcome: str | None
    procedure: str
    dispute_type: str
    claimant: ReferralParty
    respondent: ReferralParty | ReferralOutsideParty
    institution: ReferralParty
    created_at: str
    updated_at: str


class ReferralEvent(TypedDict):
    """openapi.yaml ReferralEvent (what every variant has); the content fields of the event's type follow `occurred_at`."""

    referral_id: str
    sequence: int
    type: str
    actor: dict
    occurred_at: str
    prev_hash: str
    hash: str


def _court(referral: models.Referral) -> ReferralCourt | None:
    if referral.court_name is None:
        return None
    return {"name": referral.court_name, "case_number": referral.court_case_number}


def _party(member) -> ReferralParty:
    return {"id": member.id, "name": member.name}


def _outside_party(referral: models.Referral) -> ReferralOutsideParty:
    return {"name": referral.respondent_name, "country": referral.respondent_country}


def case_facts(referral: models.Referral, *, head: dict, parties: dict) -> dict:
    """The case facts in the order every view of them keeps: `head`, the procedure and the
    dispute, `parties`, then the dispute's object, amount, forum and text."""
    return {
        **head,
        "procedure": referral.procedure,
        "basis": referral.basis,
        "court": _court(referral),
        "dispute_type": referral.dispute_type,
        "ip_kinds": list(referral.ip_kinds),
        **parties,
        "technology_id": referral.technology_id,
        "match_id": referral.match_id,
        "amount_in_dispute": money(referral.amount, referral.currency),
        "language": referral.language,
        "seat": referral.seat,
        "governing_law": referral.governing_law,
        "summary": referral.summary,
        "requested_relief": referral.requested_relief,
    }


def submitted_content(referral: models.Referral) -> SubmittedContent:
    """The case facts as submitted: the content of event 1, which the chain then protects."""
    if referral.respondent_member_id is not None:
        respondent = {"member_id": referral.respondent_member_id}
    else:
        respondent = _outside_party(referral)
    return case_facts(referral, head={"reference": referral.reference},
                      parties={"institution_id": referral.institution_id, "respondent": respondent})


def referral(r: models.Referral, *, viewer_id: str | None) -> Referral:
    """A referral as `viewer_id` (one of its parties) sees it; None for no party (the admins)."""
    respondent = _party(r.respondent_member) if r.respondent_member is not None else _outside_party(r)
    role = r.role_of(viewer_id) if viewer_id else None
    head = {"id": r.id, "reference": r.reference, "status": r.status, "outcome": r.outcome}
    parties = {"claimant": _party(r.claimant), "respondent": respondent, "institution": _party(r.institution)}
    return {
        **case_facts(r, head=head, parties=parties),
        "role": role,
        "allowed_events": rules.allowed_events(r.status, role),
        "created_at": rfc3339(r.created_at),
        "updated_at": rfc3339(r.updated_at),
    }


def referral_admin(r: models.Referral) -> ReferralAdmin:
    """The fields of ReferralAdmin, as the parties' view has them."""
    view = referral(r, viewer_id=None)
    return {key: view[key] for key in ReferralAdmin.__annotations__}


def referral_event(event: models.ReferralEvent) -> ReferralEvent:
    """An event as the API returns it: the hashed document (chain.document) and its hashes."""
    return {**chain.document(event), "prev_hash": event.prev_hash, "hash": event.hash}
