"""Member institutions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, IdColumn, JSONType, UTCDateTime, new_id, utcnow

KINDS = (
    "university",
    "research_institute",
    "enterprise",
    "tech_transfer_agency",
    "investor",
    "financial_institution",
    "service_agency",
    "adr_institution",
)
STATUSES = ("pending", "active", "suspended", "terminated")


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class MemberFacts:
    """Rules about a member that every view may ask, of an ORM Member or of a MemberRow alike."""

    country: str

    def is_overseas(self, home_country: str) -> bool:
        return self.country != home_country


class MemberRow(MemberFacts):
    """A member as a hot-path query read it: the columns as plain attributes, nothing to load."""

    def __init__(self, values: dict):
        self.__dict__.update(values)


class Member(MemberFacts, Base):
    __tablename__ = "members"

    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    country: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    email: Mapped[str | None] = mapped_column(String(254))
    website: Mapped[str | None] = mapped_column(String(2048))
    description: Mapped[dict | None] = mapped_column(JSONType)
    contact: Mapped[dict | None] = mapped_column(JSONType)
    status_reason: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint(_in("kind", KINDS), name="kind"),
        CheckConstraint(_in("status", STATUSES), name="status"),
        Index("ix_members_status_created", "status", "created_at", "id"),
    )
