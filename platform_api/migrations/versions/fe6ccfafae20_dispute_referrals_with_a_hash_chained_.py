"""dispute referrals with a hash-chained append-only timeline

referral_events is append-only: triggers refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL)
whoever asks. On SQLite, a later batch-mode alter of referral_events recreates the table and
drops its triggers: such a migration must create them again (_create_append_only_triggers).

Revision ID: fe6ccfafae20
Revises: 6c8519c40c15
Create Date: 2026-11-21 06:22:55.615088
"""
from alembic import op
import sqlalchemy as sa
import platform_api.db
from sqlalchemy.dialects import postgresql

revision = 'fe6ccfafae20'
down_revision = '6c8519c40c15'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('referral_counters',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_referral_counters'))
    )
    op.create_table('referrals',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('reference', sa.String(length=32), nullable=False),
    sa.Column('claimant_id', sa.String(length=36), nullable=False),
    sa.Column('institution_id', sa.String(length=36), nullable=False),
    sa.Column('respondent_member_id', sa.String(length=36), nullable=True),
    sa.Column('respondent_name', sa.String(length=200), nullable=True),
    sa.Column('respondent_country', sa.String(length=2), nullable=True),
    sa.Column('procedure', sa.String(length=32), nullable=False),
    sa.Column('basis', sa.String(length=32), nullable=False),
    sa.Column('court_name', sa.String(length=300), nullable=True),
    sa.Column('court_case_number', sa.String(length=100), nullable=True),
    sa.Column('dispute_type', sa.String(length=32), nullable=False),
    sa.Column('ip_kinds', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('technology_id', sa.String(length=36), nullable=True),
    sa.Column('match_id', sa.String(length=36), nullable=True),
    sa.Column('amount', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('language', sa.String(length=35), nullable=False),
    sa.Column('seat', sa.String(length=200), nullable=True),
    sa.Column('governing_law', sa.String(length=200), nullable=True),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('requested_relief', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.String(length=32), nullable=True),
    sa.Column('created_by_client_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', platform_api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', platform_api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("(basis = 'court_referral') = (court_name IS NOT NULL AND court_case_number IS NOT NULL)", name=op.f('ck_referrals_court')),
    sa.CheckConstraint("(status = 'closed') = (outcome IS NOT NULL)", name=op.f('ck_referrals_closed_outcome')),
    sa.CheckConstraint("basis IN ('agreement', 'unilateral_request', 'court_referral')", name=op.f('ck_referrals_basis')),
    sa.CheckConstraint("dispute_type IN ('licence', 'assignment', 'infringement', 'ownership', 'validity', 'r_and_d_agreement', 'other')", name=op.f('ck_referrals_dispute_type')),
    sa.CheckConstraint("outcome IS NULL OR outcome IN ('settled', 'award_rendered', 'determination_issued', 'no_settlement', 'withdrawn')", name=op.f('ck_referrals_outcome')),
    sa.CheckConstraint("procedure IN ('mediation', 'arbitration', 'expedited_arbitration', 'expert_determination')", name=op.f('ck_referrals_procedure')),
    sa.CheckConstraint("status IN ('submitted', 'acknowledged', 'declined', 'in_progress', 'closed')", name=op.f('ck_referrals_status')),
    sa.CheckConstraint('(amount IS NULL AND currency IS NULL) OR (amount IS NOT NULL AND currency IS NOT NULL AND amount > 0)', name=op.f('ck_referrals_amount')),
    sa.CheckConstraint('(respondent_member_id IS NOT NULL AND respondent_name IS NULL AND respondent_country IS NULL) OR (respondent_member_id IS NULL AND respondent_name IS NOT NULL AND respondent_country IS NOT NULL)', name=op.f('ck_referrals_respondent')),
    sa.CheckConstraint('claimant_id <> institution_id AND (respondent_member_id IS NULL OR (respondent_member_id <> claimant_id AND respondent_member_id <> institution_id))', name=op.f('ck_referrals_distinct_parties')),
    sa.ForeignKeyConstraint(['claimant_id'], ['members.id'], name=op.f('fk_referrals_claimant_id_members')),
    sa.ForeignKeyConstraint(['institution_id'], ['members.id'], name=op.f('fk_referrals_institution_id_members')),
    sa.ForeignKeyConstraint(['respondent_member_id'], ['members.id'], name=op.f('fk_referrals_respondent_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referrals')),
    sa.UniqueConstraint('reference', name=op.f('uq_referrals_reference'))
    )
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index('ix_referrals_claimant_created', ['claimant_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_referrals_institution_created', ['institution_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_referrals_respondent_created', ['respondent_member_id', 'created_at', 'id'], unique=False)

    op.create_table('referral_events',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('referral_id', sa.String(length=36), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('actor_member_id', sa.String(length=36), nullable=False),
    sa.Column('actor_member_name', sa.String(length=200), nullable=False),
    sa.Column('actor_user_id', sa.String(length=36), nullable=True),
    sa.Column('actor_user_email', sa.String(length=254), nullable=True),
    sa.Column('occurred_at', platform_api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.CheckConstraint("type IN ('submitted', 'acknowledged', 'declined', 'neutral_appointed', 'hearing_scheduled', 'closed', 'withdrawn', 'note')", name=op.f('ck_referral_events_type')),
    sa.CheckConstraint('sequence >= 1', name=op.f('ck_referral_events_sequence')),
    sa.ForeignKeyConstraint(['actor_member_id'], ['members.id'], name=op.f('fk_referral_events_actor_member_id_members')),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_referral_events_referral_id_referrals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_events')),
    sa.UniqueConstraint('referral_id', 'sequence', name='uq_referral_events_referral_sequence')
    )
    _create_append_only_triggers()


APPEND_ONLY = "referral_events is append-only: %s refused"


def _create_append_only_triggers() -> None:
    """The database itself refuses to change or remove a timeline event."""
    if op.get_bind().dialect.name == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER referral_events_no_{action.lower()} BEFORE {action} ON referral_events "
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY % action}'); END"
            )
        return
    op.execute(
        "CREATE FUNCTION referral_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION 'referral_events is append-only: % refused', TG_OP "
        "USING ERRCODE = 'integrity_constraint_violation'; END $$"
    )
    op.execute(
        "CREATE TRIGGER referral_events_append_only BEFORE UPDATE OR DELETE ON referral_events "
        "FOR EACH ROW EXECUTE FUNCTION referral_events_append_only()"
    )
    op.execute(
        "CREATE TRIGGER referral_events_no_truncate BEFORE TRUNCATE ON referral_events "
        "FOR EACH STATEMENT EXECUTE FUNCTION referral_events_append_only()"
    )


def downgrade() -> None:
    # Dropping the table drops its triggers; the PostgreSQL function goes separately.
    op.drop_table('referral_events')
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS referral_events_append_only()")
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index('ix_referrals_respondent_created')
        batch_op.drop_index('ix_referrals_institution_created')
        batch_op.drop_index('ix_referrals_claimant_created')

    op.drop_table('referrals')
    op.drop_table('referral_counters')
