"""Webhook endpoints, their deliveries and each delivery's attempts, and the dispatcher's cursor.

An endpoint's signing secrets are never stored: only the random nonces they are derived from
(see secrets.py). A delivery is one event for one endpoint, with the body as that endpoint's
member sees the event; its attempts are kept so that a member can see what its server answered.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, IdColumn, JSONType, UTCDateTime, new_id, utcnow

POSITION = BigInteger().with_variant(Integer, "sqlite")

#: A delivery's statuses: pending (due at next_attempt_at), delivering (claimed by a worker
#: until lease_until), and the final ones.
STATUSES = ("pending", "delivering", "succeeded", "failed")
FINAL = ("succeeded", "failed")

#: Why an endpoint is disabled: its member did it, or it kept failing (see worker.py).
DISABLED_REASONS = ("member", "failing")


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoints"

    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True, default=new_id)
    member_id: Mapped[str] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str | None] = mapped_column(String(500))
    event_types: Mapped[list] = mapped_column(JSONType)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(16))
    # The secrets' nonces: the current one, and the previous one while it still signs.
    secret_nonce: Mapped[str] = mapped_column(String(64))
    previous_secret_nonce: Mapped[str | None] = mapped_column(String(64))
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The log position when the endpoint was made: it gets only events after it.
    created_position: Mapped[int] = mapped_column(POSITION)
    # Since when every attempt to this endpoint has failed (None after a success).
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        CheckConstraint("disabled_reason IS NULL OR disabled_reason IN ('member', 'failing')", name="disabled_reason"),
    )


class WebhookDelivery(Base):
    __tablename__ = "webhook_deliveries"

    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True, default=new_id)
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_position: Mapped[int] = mapped_column(POSITION)
    event_id: Mapped[str] = mapped_column(String(36))
    event_type: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(36))
    # The request body, exactly as signed and sent: the event as the endpoint's member sees it.
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lease_token: Mapped[str | None] = mapped_column(String(36))
    # When the retry window started (creation, or the last redelivery).
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_response_status: Mapped[int | None] = mapped_column(Integer)
    last_response_body: Mapped[str | None] = mapped_column(Text)
    last_duration_ms: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_position", name="uq_webhook_deliveries_endpoint_event"),
        CheckConstraint("status IN ('pending', 'delivering', 'succeeded', 'failed')", name="status"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_object", "endpoint_id", "object_type", "object_id", "event_position"),
        Index("ix_webhook_deliveries_endpoint_created", "endpoint_id", "created_at", "id"),
    )


class WebhookAttempt(Base):
    __tablename__ = "webhook_attempts"

    id: Mapped[str] = mapped_column(IdColumn(), primary_key=True, default=new_id)
    delivery_id: Mapped[str] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    duration_ms: Mapped[int] = mapped_column(Integer)
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(String(500))


class WebhookDispatchState(Base):
    """One row: the last log position the dispatcher has fanned out. Taken with a row lock."""

    __tablename__ = "webhook_dispatch_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_position: Mapped[int] = mapped_column(POSITION)

    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)
