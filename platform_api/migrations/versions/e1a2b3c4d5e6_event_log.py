"""event log: events in commit order, each as its recipients may see it

The transactional outbox of issue 13 (platform_api/events/outbox.py): `event_log_state`
holds the last position given, `events` the log, `event_recipients` each event as one
member may see it.

Revision ID: e1a2b3c4d5e6
Revises: d7e3a9c4b2f1
Create Date: 2026-12-02 03:40:00
"""
from alembic import op
import sqlalchemy as sa

from platform_api.db import JSONType, NullableJSON, UTCDateTime

revision = 'e1a2b3c4d5e6'
down_revision = 'd7e3a9c4b2f1'
branch_labels = None
depends_on = None

POSITION = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('event_log_state',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_position', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_event_log_state_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_log_state'))
    )
    op.execute("INSERT INTO event_log_state (id, last_position) VALUES (1, 0)")
    op.create_table('events',
    sa.Column('position', POSITION, autoincrement=False, nullable=False),
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('type', sa.String(length=64), nullable=False),
    sa.Column('object_type', sa.String(length=32), nullable=False),
    sa.Column('object_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('public_data', NullableJSON, nullable=True),
    sa.CheckConstraint('(public AND public_data IS NOT NULL) OR (NOT public AND public_data IS NULL)',
                       name=op.f('ck_events_public_data')),
    sa.PrimaryKeyConstraint('position', name=op.f('pk_events')),
    sa.UniqueConstraint('id', name=op.f('uq_events_id'))
    )
    op.create_index('ix_events_public_position', 'events', ['position'], unique=False,
                    postgresql_where=sa.text('public'), sqlite_where=sa.text('public'))
    op.create_index('ix_events_created_at', 'events', ['created_at'], unique=False)
    op.create_table('event_recipients',
    sa.Column('member_id', sa.String(length=36), nullable=False),
    sa.Column('position', POSITION, nullable=False),
    sa.Column('type', sa.String(length=64), nullable=False),
    sa.Column('data', JSONType, nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_event_recipients_member_id_members'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['position'], ['events.position'], name=op.f('fk_event_recipients_position_events'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id', 'position', name=op.f('pk_event_recipients'))
    )
    op.create_index('ix_event_recipients_position', 'event_recipients', ['position'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_event_recipients_position', table_name='event_recipients')
    op.drop_table('event_recipients')
    op.drop_index('ix_events_created_at', table_name='events')
    op.drop_index('ix_events_public_position', table_name='events')
    op.drop_table('events')
    op.drop_table('event_log_state')
