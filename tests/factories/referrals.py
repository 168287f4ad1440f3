"""Referrals are made through the service, so that every one has a valid timeline."""

from __future__ import annotations

from platform_api.referrals import services

from .base import current_session
from .members import MemberFactory
from .oauth import ClientFactory, make_token

REFERRAL_SCOPES = ["referrals:read", "referrals:write"]


def InstitutionFactory(**kwargs):  # noqa: N802 - reads like the other factories
    """An active arbitration or mediation centre."""
    kwargs.setdefault("name", "Geneva IP Mediation Centre")
    kwargs.setdefault("country", "CH")
    return MemberFactory(kind="adr_institution", **kwargs)


def token_for(member, scopes=REFERRAL_SCOPES, **kwargs) -> dict:
    """Authorization headers for a client-credentials token of `member`."""
    _token, value = make_token(ClientFactory(member=member), scopes=list(scopes), **kwargs)
    return {"Authorization": f"Bearer {value}"}


def referral_body(institution, respondent=None, **overrides) -> dict:
    """A valid POST /v1/referrals body; `respondent` is a member, None for an outside party, or a raw dict."""
    if respondent is None:
        respondent = {"name": "Acme GmbH", "country": "DE"}
    elif not isinstance(respondent, dict):
        respondent = {"member_id": respondent.id}
    body = {
        "procedure": "mediation",
        "basis": "agreement",
        "dispute_type": "licence",
        "ip_kinds": ["invention_patent"],
        "institution_id": institution.id,
        "respondent": respondent,
        "amount_in_dispute": {"amount": "1250000.00", "currency": "EUR"},
        "language": "en",
        "seat": "Geneva, CH",
        "governing_law": "Swiss law",
        "summary": "Royalties under the exclusive licence of ZL201910123456.7 are unpaid since 2025.",
        "requested_relief": "Payment of the royalties due, with interest.",
    }
    body.update(overrides)
    return body


def make_referral(claimant=None, institution=None, respondent=None, user=None, **overrides):
    """A submitted referral (and its event 1), written by the service as the API would."""
    from platform_api.referrals.schemas import ReferralCreateSchema

    claimant = claimant or MemberFactory(kind="enterprise")
    institution = institution or InstitutionFactory()
    data = ReferralCreateSchema().load(referral_body(institution, respondent, **overrides))
    return services.create(session=current_session(), claimant=claimant, data=data, user=user)


def post_event(referral, actor, event_type: str, user=None, **content):
    """Append an event as `actor` (through the service's checks)."""
    from platform_api.referrals.schemas import EVENT_SCHEMAS

    data = EVENT_SCHEMAS[event_type]().load({"type": event_type, **content})
    return services.post_event(session=current_session(), referral=referral, actor=actor, event_type=event_type,
                               data=data, user=user)
