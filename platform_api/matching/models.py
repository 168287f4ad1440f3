"""Introductions (matches) with their outcomes, and the FX rates admins load."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, IdColumn, UTCDateTime, new_id, utcnow
from ..investors.models import InvestorProfile
from ..technologies.models import Technology

STATUSES = ("proposed", "accepted", "declined", "withdrawn", "deal_closed", "no_deal")
OPEN_STATUSES = ("proposed", "accepted")
ROLES = ("technology_owner", "investor")
DECLINE_REASONS = ("too_early", "price", "field", "other")
NO_DEAL_REASONS = ("price", "terms", "due_diligence", "too_early", "other")


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Match(Base):
    """One side asked for an introduction to the other; what became of it."""

    __tablename__ = "matches"

    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True, default=new_id)
    technology_id: Mapped[str] = mapped_column(ForeignKey("technologies.id"))
    investor_profile_id: Mapped[str] = mapped_column(ForeignKey("investor_profiles.id"))
    # The two sides, copied from the listing and the profile (whose owners never change), so
    # that "my matches" is one indexed lookup per side.
    technology_owner_id: Mapped[str] = mapped_column(ForeignKey("members.id"))
    investor_id: Mapped[str] = mapped_column(ForeignKey("members.id"))
    proposed_by: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="proposed")
    message: Mapped[str | None] = mapped_column(Text)
    decline_reason: Mapped[str | None] = mapped_column(String(16))
    decline_note: Mapped[str | None] = mapped_column(Text)
    deal_type: Mapped[str | None] = mapped_column(String(32))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    signed_on: Mapped[date | None] = mapped_column(Date)
    recordal_office: Mapped[str | None] = mapped_column(String(2))
    recordal_reference: Mapped[str | None] = mapped_column(String(100))
    recorded_on: Mapped[date | None] = mapped_column(Date)
    no_deal_reason: Mapped[str | None] = mapped_column(String(16))
    no_deal_note: Mapped[str | None] = mapped_column(Text)
    created_by_client_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    technology: Mapped[Technology] = relationship(lazy="joined", innerjoin=True)
    profile: Mapped[InvestorProfile] = relationship(lazy="joined", innerjoin=True)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(_in("proposed_by", ROLES), name="proposed_by"),
        CheckConstraint(
            "(status = 'deal_closed') = (deal_type IS NOT NULL AND amount IS NOT NULL AND currency IS NOT NULL "
            "AND signed_on IS NOT NULL)",
            name="deal",
        ),
        Index("ix_matches_technology_owner_created", "technology_owner_id", "created_at", "id"),
        Index("ix_matches_investor_created", "investor_id", "created_at", "id"),
        Index("ix_matches_status_signed", "status", "signed_on"),
        # At most one open introduction per listing and profile.
        Index(
            "uq_matches_open_pair", "technology_id", "investor_profile_id", unique=True,
            sqlite_where=text("status IN ('proposed', 'accepted')"),
            postgresql_where=text("status IN ('proposed', 'accepted')"),
        ),
        Index("ix_matches_technology", "technology_id"),
        Index("ix_matches_profile", "investor_profile_id"),
    )


class FxRate(Base):
    """1 `base` = `rate` `quote` on `rate_date` (loaded by admins from a CSV file)."""

    __tablename__ = "fx_rates"

    rate_date: Mapped[date] = mapped_column(Date, primary_key=True)
    base: Mapped[str] = mapped_column(String(3), primary_key=True)
    quote: Mapped[str] = mapped_column(String(3), primary_key=True)
    rate: Mapped[Decimal] = mapped_column(Numeric(24, 10))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        CheckConstraint("rate > 0", name="rate"),
        CheckConstraint("base <> quote", name="pair"),
        Index("ix_fx_rates_pair_date", "base", "quote", "rate_date"),
    )
