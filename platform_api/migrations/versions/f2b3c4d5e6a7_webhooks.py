"""webhooks: endpoints, deliveries and their attempts, and the dispatcher's cursor

Issue 13's second part (platform_api/webhooks): `webhook_dispatch_state` holds the last log
position fanned out to deliveries; it starts at the log's current end, so only events after
this migration are delivered.

Revision ID: f2b3c4d5e6a7
Revises: e1a2b3c4d5e6
Create Date: 2026-12-02 04:00:00
"""
from alembic import op
import sqlalchemy as sa

from platform_api.db import JSONType, UTCDateTime

revision = 'f2b3c4d5e6a7'
down_revision = 'e1a2b3c4d5e6'
branch_labels = None
depends_on = None

POSITION = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('webhook_dispatch_state',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_position', POSITION, nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_webhook_dispatch_state_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_dispatch_state'))
    )
    op.execute("INSERT INTO webhook_dispatch_state (id, last_position) "
               "SELECT 1, last_position FROM event_log_state WHERE id = 1")
    op.create_table('webhook_endpoints',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('member_id', sa.String(length=36), nullable=False),
    sa.Column('url', sa.String(length=2048), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=True),
    sa.Column('event_types', JSONType, nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('disabled_reason', sa.String(length=16), nullable=True),
    sa.Column('secret_nonce', sa.String(length=64), nullable=False),
    sa.Column('previous_secret_nonce', sa.String(length=64), nullable=True),
    sa.Column('previous_secret_expires_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_position', POSITION, nullable=False),
    sa.Column('failing_since', UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("disabled_reason IS NULL OR disabled_reason IN ('member', 'failing')",
                       name=op.f('ck_webhook_endpoints_disabled_reason')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_webhook_endpoints_member_id_members'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_endpoints'))
    )
    op.create_index(op.f('ix_webhook_endpoints_member_id'), 'webhook_endpoints', ['member_id'], unique=False)
    op.create_table('webhook_deliveries',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('endpoint_id', sa.String(length=36), nullable=False),
    sa.Column('event_position', POSITION, nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('event_type', sa.String(length=64), nullable=False),
    sa.Column('object_type', sa.String(length=32), nullable=False),
    sa.Column('object_id', sa.String(length=36), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempt_count', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('lease_until', UTCDateTime(timezone=True), nullable=True),
    sa.Column('lease_token', sa.String(length=36), nullable=True),
    sa.Column('window_started_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_attempt_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_response_status', sa.Integer(), nullable=True),
    sa.Column('last_response_body', sa.Text(), nullable=True),
    sa.Column('last_duration_ms', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'delivering', 'succeeded', 'failed')",
                       name=op.f('ck_webhook_deliveries_status')),
    sa.ForeignKeyConstraint(['endpoint_id'], ['webhook_endpoints.id'],
                            name=op.f('fk_webhook_deliveries_endpoint_id_webhook_endpoints'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_deliveries')),
    sa.UniqueConstraint('endpoint_id', 'event_position', name='uq_webhook_deliveries_endpoint_event')
    )
    op.create_index('ix_webhook_deliveries_due', 'webhook_deliveries', ['status', 'next_attempt_at'], unique=False)
    op.create_index('ix_webhook_deliveries_object', 'webhook_deliveries',
                    ['endpoint_id', 'object_type', 'object_id', 'event_position'], unique=False)
    op.create_index('ix_webhook_deliveries_endpoint_created', 'webhook_deliveries',
                    ['endpoint_id', 'created_at', 'id'], unique=False)
    op.create_table('webhook_attempts',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('delivery_id', sa.String(length=36), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('started_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.Column('response_status', sa.Integer(), nullable=True),
    sa.Column('response_body', sa.Text(), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['delivery_id'], ['webhook_deliveries.id'],
                            name=op.f('fk_webhook_attempts_delivery_id_webhook_deliveries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_attempts'))
    )
    op.create_index(op.f('ix_webhook_attempts_delivery_id'), 'webhook_attempts', ['delivery_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_webhook_attempts_delivery_id'), table_name='webhook_attempts')
    op.drop_table('webhook_attempts')
    op.drop_index('ix_webhook_deliveries_endpoint_created', table_name='webhook_deliveries')
    op.drop_index('ix_webhook_deliveries_object', table_name='webhook_deliveries')
    op.drop_index('ix_webhook_deliveries_due', table_name='webhook_deliveries')
    op.drop_table('webhook_deliveries')
    op.drop_index(op.f('ix_webhook_endpoints_member_id'), table_name='webhook_endpoints')
    op.drop_table('webhook_endpoints')
    op.drop_table('webhook_dispatch_state')
