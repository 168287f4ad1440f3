"""Investor profiles are made through the service, so that masks, terms and country rows follow."""

from __future__ import annotations

import itertools

from platform_api.investors import services

from .base import current_session
from .members import MemberFactory
from .oauth import ClientFactory, make_token

_seq = itertools.count(1)

INVESTOR_SCOPES = ["investors:read", "investors:write"]


def InvestorFactory(**kwargs):  # noqa: N802 - reads like the other factories
    """An active member of kind investor (a fund)."""
    kwargs.setdefault("name", f"Yangtze Delta Venture Fund {next(_seq)}")
    kwargs.setdefault("country", "CN")
    kwargs.setdefault("kind", "investor")
    return MemberFactory(**kwargs)


def token_for(member, scopes=INVESTOR_SCOPES, **kwargs) -> dict:
    """Authorization headers for a client-credentials token of `member`."""
    _token, value = make_token(ClientFactory(member=member), scopes=list(scopes), **kwargs)
    return {"Authorization": f"Bearer {value}"}


def profile_body(**overrides) -> dict:
    """A valid create body (API shape)."""
    body = {
        "name": f"Energy storage mandate {next(_seq)}",
        "description": {"en": "Battery and energy-storage technologies from China and Europe."},
        "fields": ["new_energy", "green_low_carbon"],
        "trl_min": 5,
        "trl_max": 8,
        "ticket_min": {"amount": "1000000.00", "currency": "CNY"},
        "ticket_max": {"amount": "5000000.00", "currency": "CNY"},
        "countries": ["CN", "DE"],
        "deal_types": ["assignment", "exclusive_license", "equity_investment"],
        "keywords": ["solid-state battery", "electrolyte"],
    }
    body.update(overrides)
    return body


def make_profile(owner=None, *, active: bool = True, **overrides):
    """A stored profile."""
    from platform_api.investors.schemas import ProfileCreateSchema

    owner = owner or InvestorFactory()
    data = ProfileCreateSchema().load(profile_body(active=active, **overrides))
    return services.create(session=current_session(), owner=owner, data=data)
