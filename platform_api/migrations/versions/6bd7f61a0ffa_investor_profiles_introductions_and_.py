"""investor profiles, introductions and deals, FX rates

Nothing here depends on the referrals tables: down_revision follows whichever revision is the
head of the chain when this lands (it was written against 6c8519c40c15 plus referrals).

Revision ID: 6bd7f61a0ffa
Revises: fe6ccfafae20
Create Date: 2026-11-21 06:34:23.469216
"""
from alembic import op
import sqlalchemy as sa
import platform_api.db
from sqlalchemy.dialects import postgresql

revision = '6bd7f61a0ffa'
down_revision = 'fe6ccfafae20'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('fx_rates',
    sa.Column('rate_date', sa.Date(), nullable=False),
    sa.Column('base', sa.String(length=3), nullable=False),
    sa.Column('quote', sa.String(length=3), nullable=False),
    sa.Column('rate', sa.Numeric(precision=24, scale=10), nullable=False),
    sa.Column('loaded_at', platform_api.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('base <> quote', name=op.f('ck_fx_rates_pair')),
    sa.CheckConstraint('rate > 0', name=op.f('ck_fx_rates_rate')),
    sa.PrimaryKeyConstraint('rate_date', 'base', 'quote', name=op.f('pk_fx_rates'))
    )
    with op.batch_alter_table('fx_rates', schema=None) as batch_op:
        batch_op.create_index('ix_fx_rates_pair_date', ['base', 'quote', 'rate_date'], unique=False)

    op.create_table('investor_profiles',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('fields', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('field_mask', sa.Integer(), nullable=False),
    sa.Column('trl_min', sa.Integer(), nullable=False),
    sa.Column('trl_max', sa.Integer(), nullable=False),
    sa.Column('ticket_min', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('ticket_max', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('ticket_currency', sa.String(length=3), nullable=False),
    sa.Column('countries', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('deal_types', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('deal_mask', sa.Integer(), nullable=False),
    sa.Column('keywords', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('terms', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by_client_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', platform_api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', platform_api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('ticket_min > 0 AND ticket_min <= ticket_max', name=op.f('ck_investor_profiles_ticket')),
    sa.CheckConstraint('trl_min BETWEEN 1 AND 9 AND trl_max BETWEEN 1 AND 9 AND trl_min <= trl_max', name=op.f('ck_investor_profiles_trl')),
    sa.ForeignKeyConstraint(['owner_id'], ['members.id'], name=op.f('fk_investor_profiles_owner_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_investor_profiles'))
    )
    with op.batch_alter_table('investor_profiles', schema=None) as batch_op:
        batch_op.create_index('ix_investor_profiles_active_created', ['active', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_investor_profiles_owner_created', ['owner_id', 'created_at', 'id'], unique=False)

    op.create_table('investor_profile_countries',
    sa.Column('profile_id', sa.String(length=36), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.ForeignKeyConstraint(['profile_id'], ['investor_profiles.id'], name=op.f('fk_investor_profile_countries_profile_id_investor_profiles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('profile_id', 'country', name=op.f('pk_investor_profile_countries'))
    )
    with op.batch_alter_table('investor_profile_countries', schema=None) as batch_op:
        batch_op.create_index('ix_investor_profile_countries_country', ['country', 'profile_id'], unique=False)

    op.create_table('matches',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('technology_id', sa.String(length=36), nullable=False),
    sa.Column('investor_profile_id', sa.String(length=36), nullable=False),
    sa.Column('technology_owner_id', sa.String(length=36), nullable=False),
    sa.Column('investor_id', sa.String(length=36), nullable=False),
    sa.Column('proposed_by', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('decline_reason', sa.String(length=16), nullable=True),
    sa.Column('decline_note', sa.Text(), nullable=True),
    sa.Column('deal_type', sa.String(length=32), nullable=True),
    sa.Column('amount', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('signed_on', sa.Date(), nullable=True),
    sa.Column('recordal_office', sa.String(length=2), nullable=True),
    sa.Column('recordal_reference', sa.String(length=100), nullable=True),
    sa.Column('recorded_on', sa.Date(), nullable=True),
    sa.Column('no_deal_reason', sa.String(length=16), nullable=True),
    sa.Column('no_deal_note', sa.Text(), nullable=True),
    sa.Column('created_by_client_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', platform_api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', platform_api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('responded_at', platform_api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', platform_api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("(status = 'deal_closed') = (deal_type IS NOT NULL AND amount IS NOT NULL AND currency IS NOT NULL AND signed_on IS NOT NULL)", name=op.f('ck_matches_deal')),
    sa.CheckConstraint("proposed_by IN ('technology_owner', 'investor')", name=op.f('ck_matches_proposed_by')),
    sa.CheckConstraint("status IN ('proposed', 'accepted', 'declined', 'withdrawn', 'deal_closed', 'no_deal')", name=op.f('ck_matches_status')),
    sa.ForeignKeyConstraint(['investor_id'], ['members.id'], name=op.f('fk_matches_investor_id_members')),
    sa.ForeignKeyConstraint(['investor_profile_id'], ['investor_profiles.id'], name=op.f('fk_matches_investor_profile_id_investor_profiles')),
    sa.ForeignKeyConstraint(['technology_id'], ['technologies.id'], name=op.f('fk_matches_technology_id_technologies')),
    sa.ForeignKeyConstraint(['technology_owner_id'], ['members.id'], name=op.f('fk_matches_technology_owner_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_matches'))
    )
    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.create_index('ix_matches_investor_created', ['investor_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_matches_profile', ['investor_profile_id'], unique=False)
        batch_op.create_index('ix_matches_status_signed', ['status', 'signed_on'], unique=False)
        batch_op.create_index('ix_matches_technology', ['technology_id'], unique=False)
        batch_op.create_index('ix_matches_technology_owner_created', ['technology_owner_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('uq_matches_open_pair', ['technology_id', 'investor_profile_id'], unique=True, sqlite_where=sa.text("status IN ('proposed', 'accepted')"), postgresql_where=sa.text("status IN ('proposed', 'accepted')"))



def downgrade() -> None:
    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.drop_index('uq_matches_open_pair', sqlite_where=sa.text("status IN ('proposed', 'accepted')"), postgresql_where=sa.text("status IN ('proposed', 'accepted')"))
        batch_op.drop_index('ix_matches_technology_owner_created')
        batch_op.drop_index('ix_matches_technology')
        batch_op.drop_index('ix_matches_status_signed')
        batch_op.drop_index('ix_matches_profile')
        batch_op.drop_index('ix_matches_investor_created')

    op.drop_table('matches')
    with op.batch_alter_table('investor_profile_countries', schema=None) as batch_op:
        batch_op.drop_index('ix_investor_profile_countries_country')

    op.drop_table('investor_profile_countries')
    with op.batch_alter_table('investor_profiles', schema=None) as batch_op:
        batch_op.drop_index('ix_investor_profiles_owner_created')
        batch_op.drop_index('ix_investor_profiles_active_created')

    op.drop_table('investor_profiles')
    with op.batch_alter_table('fx_rates', schema=None) as batch_op:
        batch_op.drop_index('ix_fx_rates_pair_date')

    op.drop_table('fx_rates')
