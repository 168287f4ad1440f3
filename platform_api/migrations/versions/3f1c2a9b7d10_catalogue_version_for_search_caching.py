"""catalogue version: a counter the database bumps whenever what the public catalogue shows changes

Also an index of each member's unpublished listings (searched live beside the cached ranking).

Search caches the ranking of published listings per catalogue version
(platform_api/technologies/catalogue_cache.py). Triggers bump the version, whoever writes:
a listing that is or was published is inserted, changed or deleted, or a member's name or
country (shown with each listing) changes. On SQLite, a later batch-mode alter of technologies
or members recreates the table and drops its triggers: such a migration must call
_create_triggers() again.

Revision ID: 3f1c2a9b7d10
Revises: 6bd7f61a0ffa
Create Date: 2026-11-21 08:45:00
"""
from alembic import op
import sqlalchemy as sa

revision = '3f1c2a9b7d10'
down_revision = '6bd7f61a0ffa'
branch_labels = None
depends_on = None

BUMP = "UPDATE catalogue_state SET version = version + 1 WHERE id = 1"
# trigger name -> (event, condition)
TRIGGERS = {
    "technologies_catalogue_insert": ("AFTER INSERT ON technologies", "NEW.status = 'published'"),
    "technologies_catalogue_update": ("AFTER UPDATE ON technologies", "OLD.status = 'published' OR NEW.status = 'published'"),
    "technologies_catalogue_delete": ("AFTER DELETE ON technologies", "OLD.status = 'published'"),
    "members_catalogue_update": (
        "AFTER UPDATE ON members",
        "OLD.name <> NEW.name OR OLD.country <> NEW.country"  # both NOT NULL,
    ),
}


def upgrade() -> None:
    op.create_table(
        'catalogue_state',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.CheckConstraint('id = 1', name=op.f('ck_catalogue_state_single_row')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_catalogue_state')),
    )
    op.execute("INSERT INTO catalogue_state (id, version) VALUES (1, 1)")
    _create_triggers()
    # The caller's own unpublished matches are searched on every request: walk only those.
    op.create_index('ix_technologies_owner_unpublished', 'technologies', ['owner_id', 'created_at'],
                    postgresql_where=sa.text("status <> 'published'"), sqlite_where=sa.text("status <> 'published'"))


def _create_triggers() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if not sqlite:
        op.execute(
            "CREATE FUNCTION bump_catalogue_version() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {BUMP}; RETURN NULL; END $$"
        )
    for name, (event, condition) in TRIGGERS.items():
        if sqlite:
            op.execute(f"CREATE TRIGGER {name} {event} FOR EACH ROW WHEN {condition} BEGIN {BUMP}; END")
        else:
            op.execute(
                f"CREATE TRIGGER {name} {event} FOR EACH ROW WHEN ({condition}) EXECUTE FUNCTION bump_catalogue_version()"
            )


def downgrade() -> None:
    op.drop_index('ix_technologies_owner_unpublished', table_name='technologies')
    for name, (event, _) in TRIGGERS.items():
        table = event.rsplit(" ", 1)[1]
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + ("" if op.get_bind().dialect.name == "sqlite" else f" ON {table}"))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS bump_catalogue_version()")
    op.drop_table('catalogue_state')
