"""Referrals, their append-only event timeline, and the per-year reference counter."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, IdColumn, JSONType, UTCDateTime, new_id, utcnow
from ..members.models import Member

PROCEDURES = ("mediation", "arbitration", "expedited_arbitration", "expert_determination")
BASES = ("agreement", "unilateral_request", "court_referral")
DISPUTE_TYPES = ("licence", "assignment", "infringement", "ownership", "validity", "r_and_d_agreement", "other")
STATUSES = ("submitted", "acknowledged", "declined", "in_progress", "closed")
OUTCOMES = ("settled", "award_rendered", "determination_issued", "no_settlement", "withdrawn")
EVENT_TYPES = (
    "submitted",
    "acknowledged",
    "declined",
    "neutral_appointed",
    "hearing_scheduled",
    "closed",
    "withdrawn",
    "note",
)
ROLES = ("claimant", "respondent", "institution")


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Referral(Base):
    """A dispute referred by a claimant member to an ADR institution; confidential to its parties."""

    __tablename__ = "referrals"

    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True, default=new_id)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    claimant_id: Mapped[str] = mapped_column(ForeignKey("members.id"))
    institution_id: Mapped[str] = mapped_column(ForeignKey("members.id"))
    respondent_member_id: Mapped[str | None] = mapped_column(ForeignKey("members.id"))
    respondent_name: Mapped[str | None] = mapped_column(String(200))
    respondent_country: Mapped[str | None] = mapped_column(String(2))
    procedure: Mapped[str] = mapped_column(String(32))
    basis: Mapped[str] = mapped_column(String(32))
    court_name: Mapped[str | None] = mapped_column(String(300))
    court_case_number: Mapped[str | None] = mapped_column(String(100))
    dispute_type: Mapped[str] = mapped_column(String(32))
    ip_kinds: Mapped[list] = mapped_column(JSONType)
    # Plain IDs, not foreign keys: a referral outlives what it points at, and matches do not
    # exist yet (see services._check_match).
    technology_id: Mapped[str | None] = mapped_column(String(36))
    match_id: Mapped[str | None] = mapped_column(String(36))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    language: Mapped[str] = mapped_column(String(35))
    seat: Mapped[str | None] = mapped_column(String(200))
    governing_law: Mapped[str | None] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    requested_relief: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    outcome: Mapped[str | None] = mapped_column(String(32))
    created_by_client_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    claimant: Mapped[Member] = relationship(foreign_keys=[claimant_id], lazy="joined", innerjoin=True)
    institution: Mapped[Member] = relationship(foreign_keys=[institution_id], lazy="joined", innerjoin=True)
    respondent_member: Mapped[Member | None] = relationship(foreign_keys=[respondent_member_id], lazy="joined")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint(_in("procedure", PROCEDURES), name="procedure"),
        CheckConstraint(_in("basis", BASES), name="basis"),
        CheckConstraint(_in("dispute_type", DISPUTE_TYPES), name="dispute_type"),
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(f"outcome IS NULL OR {_in('outcome', OUTCOMES)}", name="outcome"),
        CheckConstraint("(status = 'closed') = (outcome IS NOT NULL)", name="closed_outcome"),
        CheckConstraint(
            "(basis = 'court_referral') = (court_name IS NOT NULL AND court_case_number IS NOT NULL)",
            name="court",
        ),
        CheckConstraint(
            "(respondent_member_id IS NOT NULL AND respondent_name IS NULL AND respondent_country IS NULL) OR "
            "(respondent_member_id IS NULL AND respondent_name IS NOT NULL AND respondent_country IS NOT NULL)",
            name="respondent",
        ),
        CheckConstraint(
            "claimant_id <> institution_id AND (respondent_member_id IS NULL OR "
            "(respondent_member_id <> claimant_id AND respondent_member_id <> institution_id))",
            name="distinct_parties",
        ),
        CheckConstraint(
            "(amount IS NULL AND currency IS NULL) OR (amount IS NOT NULL AND currency IS NOT NULL AND amount > 0)",
            name="amount",
        ),
        Index("ix_referrals_claimant_created", "claimant_id", "created_at", "id"),
        Index("ix_referrals_respondent_created", "respondent_member_id", "created_at", "id"),
        Index("ix_referrals_institution_created", "institution_id", "created_at", "id"),
    )

    def role_of(self, member_id: str) -> str | None:
        """The member's part in this referral, or None when it has none."""
        if member_id == self.claimant_id:
            return "claimant"
        if member_id == self.institution_id:
            return "institution"
        if member_id is not None and member_id == self.respondent_member_id:
            return "respondent"
        return None


class ReferralEvent(Base):
    """One entry of a referral's timeline. The database refuses UPDATE and DELETE (triggers).

    The actor's names are copied in when the event is written: the hash covers them, so they
    must never change afterwards (see chain.py for exactly what is hashed).
    """

    __tablename__ = "referral_events"

    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True, default=new_id)
    referral_id: Mapped[str] = mapped_column(ForeignKey("referrals.id"))
    sequence: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(32))
    actor_member_id: Mapped[str] = mapped_column(ForeignKey("members.id"))
    actor_member_name: Mapped[str] = mapped_column(String(200))
    actor_user_id: Mapped[str | None] = mapped_column(String(36))
    actor_user_email: Mapped[str | None] = mapped_column(String(254))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    data: Mapped[dict] = mapped_column(JSONType)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        UniqueConstraint("referral_id", "sequence", name="uq_referral_events_referral_sequence"),
        CheckConstraint("sequence >= 1", name="sequence"),
        CheckConstraint(_in("type", EVENT_TYPES), name="type"),
    )
