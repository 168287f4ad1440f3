"""technology listings and their search index

Revision ID: 6c8519c40c15
Revises: 2d04577d1060
Create Date: 2026-11-21 06:17:55.809810
"""
from alembic import op
import sqlalchemy as sa
import platform_api.db
from sqlalchemy.dialects import postgresql

revision = '6c8519c40c15'
down_revision = '2d04577d1060'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('technologies',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('owner_id', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('title', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('summary', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('keywords', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('field', sa.String(length=32), nullable=False),
    sa.Column('ipc', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('trl', sa.Integer(), nullable=False),
    sa.Column('ip_rights', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('deal_types', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('deal_mask', sa.Integer(), nullable=False),
    sa.Column('price_amount', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('price_currency', sa.String(length=3), nullable=True),
    sa.Column('origin_country', sa.String(length=2), nullable=False),
    sa.Column('countries_available', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('review_note', sa.Text(), nullable=True),
    sa.Column('created_by_client_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', platform_api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', platform_api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', platform_api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('published_at', platform_api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("field IN ('biomedicine', 'new_materials', 'next_gen_it', 'new_energy', 'intelligent_manufacturing', 'green_low_carbon', 'robotics', 'high_end_equipment', 'aerospace', 'marine', 'digital_creative', 'other')", name=op.f('ck_technologies_field')),
    sa.CheckConstraint("status IN ('draft', 'submitted', 'published', 'rejected', 'withdrawn', 'transacted')", name=op.f('ck_technologies_status')),
    sa.CheckConstraint('(price_amount IS NULL AND price_currency IS NULL) OR (price_amount IS NOT NULL AND price_currency IS NOT NULL AND price_amount > 0)', name=op.f('ck_technologies_price')),
    sa.CheckConstraint('trl BETWEEN 1 AND 9', name=op.f('ck_technologies_trl')),
    sa.ForeignKeyConstraint(['owner_id'], ['members.id'], name=op.f('fk_technologies_owner_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_technologies'))
    )
    with op.batch_alter_table('technologies', schema=None) as batch_op:
        batch_op.create_index('ix_technologies_field_status', ['field', 'status'], unique=False)
        batch_op.create_index('ix_technologies_owner_created', ['owner_id', 'created_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_technologies_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index('ix_technologies_status_created', ['status', 'created_at', 'id'], unique=False)

    op.create_table('technology_offices',
    sa.Column('technology_id', sa.String(length=36), nullable=False),
    sa.Column('office', sa.String(length=2), nullable=False),
    sa.ForeignKeyConstraint(['technology_id'], ['technologies.id'], name=op.f('fk_technology_offices_technology_id_technologies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('technology_id', 'office', name=op.f('pk_technology_offices'))
    )
    with op.batch_alter_table('technology_offices', schema=None) as batch_op:
        batch_op.create_index('ix_technology_offices_office', ['office', 'technology_id'], unique=False)



    _create_search_index()


def _create_search_index() -> None:
    """The full-text index: FTS5 on SQLite, a tsvector with a GIN index on PostgreSQL.

    Both hold the same document (platform_api.technologies.search.document): words of every
    language, with runs of CJK characters split into overlapping bigrams so that two-character
    terms such as 光刻 are found inside 半导体光刻技术.
    """
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE technology_search USING fts5("
            "technology_id UNINDEXED, title, keywords, body, tokenize = 'unicode61 remove_diacritics 2')"
        )
    else:
        op.execute(
            "CREATE TABLE technology_search ("
            "technology_id VARCHAR(36) PRIMARY KEY REFERENCES technologies(id) ON DELETE CASCADE, "
            "document TSVECTOR NOT NULL)"
        )
        op.execute("CREATE INDEX ix_technology_search_document ON technology_search USING GIN (document)")


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS technology_search")
    with op.batch_alter_table('technology_offices', schema=None) as batch_op:
        batch_op.drop_index('ix_technology_offices_office')

    op.drop_table('technology_offices')
    with op.batch_alter_table('technologies', schema=None) as batch_op:
        batch_op.drop_index('ix_technologies_status_created')
        batch_op.drop_index(batch_op.f('ix_technologies_owner_id'))
        batch_op.drop_index('ix_technologies_owner_created')
        batch_op.drop_index('ix_technologies_field_status')

    op.drop_table('technologies')
