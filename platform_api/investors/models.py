"""Investor profiles and the rows that index their countries of interest."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, IdColumn, JSONType, UTCDateTime, new_id, utcnow
from ..members.models import Member
from ..technologies.models import FIELDS

# Members of these kinds may keep investor profiles.
INVESTOR_KINDS = ("investor", "financial_institution")
# Fields of interest are kept as a bit mask too, like deal types on listings, so that "interested
# in field X" is one predicate on both databases. Positions follow FIELDS: never reorder.
FIELD_BITS = {name: 1 << i for i, name in enumerate(FIELDS)}


def field_mask(fields) -> int:
    mask = 0
    for name in fields:
        mask |= FIELD_BITS[name]
    return mask


class InvestorProfile(Base):
    __tablename__ = "investor_profiles"

    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True, default=new_id)
    owner_id: Mapped[str] = mapped_column(ForeignKey("members.id"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[dict | None] = mapped_column(JSONType)
    fields: Mapped[list] = mapped_column(JSONType)
    field_mask: Mapped[int] = mapped_column(Integer)
    trl_min: Mapped[int] = mapped_column(Integer)
    trl_max: Mapped[int] = mapped_column(Integer)
    ticket_min: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    ticket_max: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    ticket_currency: Mapped[str] = mapped_column(String(3))
    countries: Mapped[list] = mapped_column(JSONType, default=list)
    deal_types: Mapped[list] = mapped_column(JSONType)
    deal_mask: Mapped[int] = mapped_column(Integer)
    keywords: Mapped[list] = mapped_column(JSONType, default=list)
    # Weighted terms of keywords and description ({term: weight}), computed on every write so
    # that suggestions never tokenise thousands of profiles per request.
    terms: Mapped[dict] = mapped_column(JSONType, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by_client_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    owner: Mapped[Member] = relationship(lazy="joined", innerjoin=True)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint("trl_min BETWEEN 1 AND 9 AND trl_max BETWEEN 1 AND 9 AND trl_min <= trl_max", name="trl"),
        CheckConstraint("ticket_min > 0 AND ticket_min <= ticket_max", name="ticket"),
        Index("ix_investor_profiles_active_created", "active", "created_at", "id"),
        Index("ix_investor_profiles_owner_created", "owner_id", "created_at", "id"),
    )


class InvestorProfileCountry(Base):
    """Which countries a profile names (for the `country` filter); none means every country."""

    __tablename__ = "investor_profile_countries"

    profile_id: Mapped[str] = mapped_column(
        ForeignKey("investor_profiles.id", ondelete="CASCADE"), primary_key=True
    )
    country: Mapped[str] = mapped_column(String(2), primary_key=True)

    __table_args__ = (Index("ix_investor_profile_countries_country", "country", "profile_id"),)
