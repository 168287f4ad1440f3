"""Technology listings and the rows that index them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, IdColumn, JSONType, UTCDateTime, new_id, utcnow
from ..members.models import Member

FIELDS = (
    "biomedicine",
    "new_materials",
    "next_gen_it",
    "new_energy",
    "intelligent_manufacturing",
    "green_low_carbon",
    "robotics",
    "high_end_equipment",
    "aerospace",
    "marine",
    "digital_creative",
    "other",
)
IP_KINDS = (
    "invention_patent",
    "utility_model",
    "design",
    "trademark",
    "software_copyright",
    "ic_layout_design",
    "plant_variety",
    "trade_secret",
)
IP_STATUSES = ("pending", "granted", "lapsed", "expired")
DEAL_TYPES = (
    "assignment",
    "exclusive_license",
    "sole_license",
    "non_exclusive_license",
    "open_license",
    "pledge_financing",
    "equity_investment",
    "joint_development",
    "technical_service",
)
# Deal types are also kept as a bit mask so that "offers X" is one indexed-friendly predicate
# on both SQLite and PostgreSQL. Positions follow DEAL_TYPES and must never be reordered.
DEAL_BITS = {name: 1 << i for i, name in enumerate(DEAL_TYPES)}
STATUSES = ("draft", "submitted", "published", "rejected", "withdrawn", "transacted")
# What the owner may do with a listing in each status (shown to the owner as allowed_actions).
ACTIONS_BY_STATUS = {
    "draft": ["update", "delete", "submit"],
    "rejected": ["update"],
    "submitted": [],
    "published": ["withdraw"],
    "withdrawn": [],
    "transacted": [],
}


def deal_mask(deal_types) -> int:
    mask = 0
    for name in deal_types:
        mask |= DEAL_BITS[name]
    return mask


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Technology(Base):
    __tablename__ = "technologies"

    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True, default=new_id)
    owner_id: Mapped[str] = mapped_column(ForeignKey("members.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    title: Mapped[dict] = mapped_column(JSONType)
    summary: Mapped[dict] = mapped_column(JSONType)
    keywords: Mapped[list] = mapped_column(JSONType, default=list)
    field: Mapped[str] = mapped_column(String(32))
    ipc: Mapped[list] = mapped_column(JSONType, default=list)
    trl: Mapped[int] = mapped_column(Integer)
    ip_rights: Mapped[list] = mapped_column(JSONType, default=list)
    deal_types: Mapped[list] = mapped_column(JSONType)
    deal_mask: Mapped[int] = mapped_column(Integer)
    price_amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 2))
    price_currency: Mapped[str | None] = mapped_column(String(3))
    origin_country: Mapped[str] = mapped_column(String(2))
    countries_available: Mapped[list] = mapped_column(JSONType, default=list)
    review_note: Mapped[str | None] = mapped_column(Text)
    created_by_client_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    owner: Mapped[Member] = relationship(lazy="joined", innerjoin=True)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(_in("field", FIELDS), name="field"),
        CheckConstraint("trl BETWEEN 1 AND 9", name="trl"),
        CheckConstraint(
            "(price_amount IS NULL AND price_currency IS NULL) OR "
            "(price_amount IS NOT NULL AND price_currency IS NOT NULL AND price_amount > 0)",
            name="price",
        ),
        Index("ix_technologies_status_created", "status", "created_at", "id"),
        Index("ix_technologies_owner_created", "owner_id", "created_at", "id"),
        Index("ix_technologies_field_status", "field", "status"),
        # A member's listings that are not published: searched on every request, never cached.
        Index("ix_technologies_owner_unpublished", "owner_id", "created_at",
              postgresql_where=text("status <> 'published'"), sqlite_where=text("status <> 'published'")),
    )


class TechnologyOffice(Base):
    """Which IP offices a listing's rights are filed with (for the `office` filter)."""

    __tablename__ = "technology_offices"

    technology_id: Mapped[str] = mapped_column(ForeignKey("technologies.id", ondelete="CASCADE"), primary_key=True)
    office: Mapped[str] = mapped_column(String(2), primary_key=True)

    __table_args__ = (Index("ix_technology_offices_office", "office", "technology_id"),)


class CatalogueState(Base):
    """One row: the catalogue version, bumped by database triggers (see its migration) whenever
    what the public catalogue shows changes; search caches rankings per version."""

    __tablename__ = "catalogue_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger, nullable=False)

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)
