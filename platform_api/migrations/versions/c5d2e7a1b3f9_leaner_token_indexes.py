"""leaner token indexes: no duplicate family index, person index only where there is a person

Every token issue writes each index of oauth_tokens. ix_oauth_tokens_family_id repeated the
leading column of ix_oauth_tokens_family (family_id, revoked_at), which serves every family
query; ix_oauth_tokens_user_id indexed the NULL user_id of every client-credentials token.

Revision ID: c5d2e7a1b3f9
Revises: 8a41c6d2e5b7
Create Date: 2026-11-21 10:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = 'c5d2e7a1b3f9'
down_revision = '8a41c6d2e5b7'
branch_labels = None
depends_on = None

PERSON = sa.text("user_id IS NOT NULL")


def upgrade() -> None:
    op.drop_index('ix_oauth_tokens_family_id', table_name='oauth_tokens')
    op.drop_index('ix_oauth_tokens_user_id', table_name='oauth_tokens')
    op.create_index('ix_oauth_tokens_user_id', 'oauth_tokens', ['user_id'],
                    postgresql_where=PERSON, sqlite_where=PERSON)


def downgrade() -> None:
    op.drop_index('ix_oauth_tokens_user_id', table_name='oauth_tokens')
    op.create_index('ix_oauth_tokens_user_id', 'oauth_tokens', ['user_id'])
    op.create_index('ix_oauth_tokens_family_id', 'oauth_tokens', ['family_id'])
