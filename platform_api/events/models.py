"""The event log: what happened, in commit order, and who may know it.

An event's `position` is its place in the log, given when its transaction commits (see
outbox.py): positions increase in commit order with no gaps, so a reader that has seen every
position up to N has seen every event up to N, and never misses one committed later.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, JSONType, NullableJSON, UTCDateTime

#: The event types, each with the object it is about. Who receives each is decided where it is
#: emitted, by the same rule as the API's visibility of that object.
TYPES = (
    "technology.created",
    "technology.updated",
    "technology.deleted",
    "technology.submitted",
    "technology.published",
    "technology.rejected",
    "technology.withdrawn",
    "technology.transacted",
    "investor_profile.activated",
    "investor_profile.deactivated",
    "investor_profile.updated",
    "investor_profile.deleted",
    "match.proposed",
    "match.accepted",
    "match.declined",
    "match.withdrawn",
    "match.closed",
    "referral.created",
    "referral.event_added",
    "member.suspended",
    "member.reinstated",
    "webhook_endpoint.disabled",
)


class EventLogState(Base):
    """One row: the last position given. Taking it (UPDATE) at commit orders the log."""

    __tablename__ = "event_log_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_position: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)


class Event(Base):
    """One change. `public_data` is what every member may see of it (a published listing's
    events), or NULL when only its recipients may know it."""

    __tablename__ = "events"

    position: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                          autoincrement=False)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    type: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    public_data: Mapped[dict | None] = mapped_column(NullableJSON)

    __table_args__ = (
        Index("ix_events_public_position", "position", postgresql_where=text("public"), sqlite_where=text("public")),
        Index("ix_events_created_at", "created_at"),
        CheckConstraint("(public AND public_data IS NOT NULL) OR (NOT public AND public_data IS NULL)",
                        name="public_data"),
    )


class EventRecipient(Base):
    """An event as one member may see it (`data`: the object as that member sees it through the API)."""

    __tablename__ = "event_recipients"

    member_id: Mapped[str] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), ForeignKey("events.position", ondelete="CASCADE"),
        primary_key=True,
    )
    type: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict] = mapped_column(JSONType)

    __table_args__ = (Index("ix_event_recipients_position", "position"),)
