"""People who sign in on behalf of a member."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import Base, IdColumn, UTCDateTime, new_id, utcnow
from ..members.models import Member

ROLES = ("admin", "staff")


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True, default=new_id)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="staff")
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    member: Mapped[Member] = relationship(lazy="joined")

    __table_args__ = (CheckConstraint("role IN ('admin', 'staff')", name="role"),)

    @property
    def active(self) -> bool:
        return self.disabled_at is None and self.member.status == "active"
