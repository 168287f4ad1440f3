"""Matches are made through the service (so the checks apply); FX rates are plain rows."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from platform_api.matching import services
from platform_api.matching.models import FxRate

from .base import current_session
from .investors import make_profile
from .technologies import make_technology

ALL_SCOPES = ["technologies:read", "technologies:write", "investors:read", "investors:write",
              "matches:read", "matches:write"]


def make_match(tech=None, profile=None, *, by: str = "investor", message: str | None = None):
    """A proposed match between a published listing and an active profile, proposed by `by`."""
    tech = tech or make_technology()
    profile = profile or make_profile()
    member = profile.owner if by == "investor" else tech.owner
    data = {"technology_id": tech.id, "investor_profile_id": profile.id}
    if message:
        data["message"] = message
    return services.propose(session=current_session(), member=member, data=data)


def make_rate(on: str, base: str, quote: str, rate: str) -> FxRate:
    """A loaded FX rate: 1 base = rate quote on that day."""
    row = FxRate(rate_date=date.fromisoformat(on), base=base, quote=quote, rate=Decimal(rate))
    s = current_session()
    s.add(row)
    s.flush()
    return row


def token_for(member, scopes=ALL_SCOPES, **kwargs) -> dict:
    """Authorization headers for a client-credentials token of `member` with every matching scope."""
    from .oauth import ClientFactory, make_token

    _token, value = make_token(ClientFactory(member=member), scopes=list(scopes), **kwargs)
    return {"Authorization": f"Bearer {value}"}
