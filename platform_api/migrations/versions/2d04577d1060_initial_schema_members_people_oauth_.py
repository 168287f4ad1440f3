"""initial schema: members, people, oauth, audit, idempotency

Revision ID: 2d04577d1060
Revises: 
Create Date: 2026-11-21 06:01:43.668431
"""
from alembic import op
import sqlalchemy as sa
import platform_api.db
from sqlalchemy.dialects import postgresql

revision = '2d04577d1060'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_events',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('occurred_at', platform_api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('target_type', sa.String(length=32), nullable=False),
    sa.Column('target_id', sa.String(length=64), nullable=True),
    sa.Column('details', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_events_occurred', ['occurred_at'], unique=False)
        batch_op.create_index('ix_audit_events_target', ['target_type', 'target_id'], unique=False)

    op.create_table('members',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('website', sa.String(length=2048), nullable=True),
    sa.Column('description', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('contact', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('status_reason', sa.String(length=1000), nullable=True),
    sa.Column('created_at', platform_api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', platform_api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('university', 'research_institute', 'enterprise', 'tech_transfer_agency', 'investor', 'financial_institution', 'service_agency', 'adr_institution')", name=op.f('ck_members_kind')),
    sa.CheckConstraint("status IN ('pending', 'active', 'suspended', 'terminated')", name=op.f('ck_members_status')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_members'))
    )
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.create_index('ix_members_status_created', ['status', 'created_at', 'id'], unique=False)

    op.create_table('oauth_clients',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('member_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('client_type', sa.String(length=16), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=True),
    sa.Column('grant_types', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('scopes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('redirect_uris', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', platform_api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('secret_rotated_at', platform_api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', platform_api.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("client_type IN ('confidential', 'public')", name=op.f('ck_oauth_clients_client_type')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_oauth_clients_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oauth_clients')),
    sa.UniqueConstraint('client_id', name=op.f('uq_oauth_clients_client_id'))
    )
    with op.batch_alter_table('oauth_clients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oauth_clients_member_id'), ['member_id'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('member_id', sa.String(length=36), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('disabled_at', platform_api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_sign_in_at', platform_api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', platform_api.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('admin', 'staff')", name=op.f('ck_users_role')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_users_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_member_id'), ['member_id'], unique=False)

    op.create_table('idempotency_records',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('client_pk', sa.String(length=36), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('headers', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('created_at', platform_api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', platform_api.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['client_pk'], ['oauth_clients.id'], name=op.f('fk_idempotency_records_client_pk_oauth_clients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_records')),
    sa.UniqueConstraint('client_pk', 'key', name='uq_idempotency_client_key')
    )
    with op.batch_alter_table('idempotency_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idempotency_records_expires_at'), ['expires_at'], unique=False)

    op.create_table('oauth_authorization_codes',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('client_pk', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('redirect_uri', sa.String(length=2048), nullable=False),
    sa.Column('scope', sa.String(length=1000), nullable=False),
    sa.Column('code_challenge', sa.String(length=128), nullable=False),
    sa.Column('code_challenge_method', sa.String(length=8), nullable=False),
    sa.Column('created_at', platform_api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', platform_api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', platform_api.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['client_pk'], ['oauth_clients.id'], name=op.f('fk_oauth_authorization_codes_client_pk_oauth_clients')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_oauth_authorization_codes_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oauth_authorization_codes')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_oauth_authorization_codes_code_hash'))
    )
    with op.batch_alter_table('oauth_authorization_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oauth_authorization_codes_client_pk'), ['client_pk'], unique=False)

    op.create_table('oauth_tokens',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('access_token_hash', sa.String(length=64), nullable=False),
    sa.Column('refresh_token_hash', sa.String(length=64), nullable=True),
    sa.Column('client_pk', sa.String(length=36), nullable=False),
    sa.Column('member_id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=True),
    sa.Column('grant_type', sa.String(length=32), nullable=False),
    sa.Column('scope', sa.String(length=1000), nullable=False),
    sa.Column('family_id', sa.String(length=36), nullable=False),
    sa.Column('issued_at', platform_api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_in', sa.Integer(), nullable=False),
    sa.Column('access_expires_at', platform_api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('refresh_expires_at', platform_api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('refresh_used_at', platform_api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', platform_api.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['client_pk'], ['oauth_clients.id'], name=op.f('fk_oauth_tokens_client_pk_oauth_clients')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_oauth_tokens_member_id_members')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_oauth_tokens_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oauth_tokens')),
    sa.UniqueConstraint('access_token_hash', name=op.f('uq_oauth_tokens_access_token_hash')),
    sa.UniqueConstraint('refresh_token_hash', name=op.f('uq_oauth_tokens_refresh_token_hash'))
    )
    with op.batch_alter_table('oauth_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oauth_tokens_client_pk'), ['client_pk'], unique=False)
        batch_op.create_index('ix_oauth_tokens_family', ['family_id', 'revoked_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_oauth_tokens_family_id'), ['family_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_oauth_tokens_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_oauth_tokens_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('oauth_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oauth_tokens_user_id'))
        batch_op.drop_index(batch_op.f('ix_oauth_tokens_member_id'))
        batch_op.drop_index(batch_op.f('ix_oauth_tokens_family_id'))
        batch_op.drop_index('ix_oauth_tokens_family')
        batch_op.drop_index(batch_op.f('ix_oauth_tokens_client_pk'))

    op.drop_table('oauth_tokens')
    with op.batch_alter_table('oauth_authorization_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oauth_authorization_codes_client_pk'))

    op.drop_table('oauth_authorization_codes')
    with op.batch_alter_table('idempotency_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idempotency_records_expires_at'))

    op.drop_table('idempotency_records')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_member_id'))

    op.drop_table('users')
    with op.batch_alter_table('oauth_clients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oauth_clients_member_id'))

    op.drop_table('oauth_clients')
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_index('ix_members_status_created')

    op.drop_table('members')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_target')
        batch_op.drop_index('ix_audit_events_occurred')

    op.drop_table('audit_events')
