"""DPoP (RFC 9449): clients registered for it, key-bound codes and tokens, used proof IDs

- oauth_clients.dpop_bound_access_tokens: the client must present a DPoP proof at the token
  endpoint (RFC 9449 5.2); false for every existing client, which keeps getting Bearer tokens
  unless it sends a proof.
- oauth_authorization_codes.dpop_jkt: the key thumbprint given as dpop_jkt at /oauth/authorize
  (RFC 9449 10); the code is exchanged only with a proof signed by that key.
- oauth_tokens.dpop_jkt / refresh_dpop_jkt: the RFC 7638 SHA-256 thumbprint of the key the
  access token (and, for public clients, the refresh token) is bound to; NULL for bearer tokens.
- oauth_dpop_proofs: the proofs seen recently (by hash of key thumbprint and jti), so that a
  replayed proof is refused by every worker; a row is useless once expires_at has passed.

Revision ID: a9d4c2e8f1b3
Revises: f2b3c4d5e6a7
Create Date: 2026-12-02 07:00:00
"""
from alembic import op
import sqlalchemy as sa

from platform_api.db import UTCDateTime

revision = 'a9d4c2e8f1b3'
down_revision = 'f2b3c4d5e6a7'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (SQLite has it too): nothing is rebuilt, the tables' triggers and partial
    # indexes stay as they are.
    op.add_column('oauth_clients', sa.Column('dpop_bound_access_tokens', sa.Boolean(), nullable=False,
                                             server_default=sa.false()))
    op.add_column('oauth_authorization_codes', sa.Column('dpop_jkt', sa.String(length=43), nullable=True))
    op.add_column('oauth_tokens', sa.Column('dpop_jkt', sa.String(length=43), nullable=True))
    op.add_column('oauth_tokens', sa.Column('refresh_dpop_jkt', sa.String(length=43), nullable=True))
    op.create_table(
        'oauth_dpop_proofs',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('expires_at', UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_oauth_dpop_proofs')),
    )
    op.create_index('ix_oauth_dpop_proofs_expires_at', 'oauth_dpop_proofs', ['expires_at'])


def downgrade() -> None:
    op.drop_index('ix_oauth_dpop_proofs_expires_at', table_name='oauth_dpop_proofs')
    op.drop_table('oauth_dpop_proofs')
    op.drop_column('oauth_tokens', 'refresh_dpop_jkt')
    op.drop_column('oauth_tokens', 'dpop_jkt')
    op.drop_column('oauth_authorization_codes', 'dpop_jkt')
    op.drop_column('oauth_clients', 'dpop_bound_access_tokens')
