"""random referral references: the per-year counter goes

A reference numbered from a platform-wide sequence told a claimant how many other referrals
had been filed that year (issue 15). References are now random (referrals/references.py);
references already given keep their form.

Revision ID: d7e3a9c4b2f1
Revises: c5d2e7a1b3f9
Create Date: 2026-12-02 02:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = 'd7e3a9c4b2f1'
down_revision = 'c5d2e7a1b3f9'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table('referral_counters')


def downgrade() -> None:
    op.create_table('referral_counters',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_referral_counters'))
    )
