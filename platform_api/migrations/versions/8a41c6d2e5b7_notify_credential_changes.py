"""credential changes: PostgreSQL notifies the workers' credential caches

Each worker caches the bearer tokens and OAuth clients it looked up
(platform_api/oauth/credential_cache.py) and listens on channel `platform_credentials`. These
triggers tell it, whoever writes, when a row such an entry was read from changes:
- an updated row of oauth_tokens, oauth_clients, members or users sends "t:", "c:", "m:" or
  "u:" and the row's id (PostgreSQL sends a notification when the transaction commits, and
  not at all if it rolls back);
- deleting or truncating any of those tables sends "*" (drop everything): nothing deletes them
  in normal operation, and a bulk purge must not send one notification per row.
Inserts need no notification: only rows that exist can be cached. SQLite has no notifications
and no cache: nothing to do there.

Revision ID: 8a41c6d2e5b7
Revises: 3f1c2a9b7d10
Create Date: 2026-11-21 10:10:00
"""
from alembic import op

revision = '8a41c6d2e5b7'
down_revision = '3f1c2a9b7d10'
branch_labels = None
depends_on = None

CHANNEL = "platform_credentials"
TABLES = {"oauth_tokens": "t", "oauth_clients": "c", "members": "m", "users": "u"}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE FUNCTION notify_credential_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_LEVEL = 'ROW' THEN PERFORM pg_notify('{CHANNEL}', TG_ARGV[0] || ':' || OLD.id); "
        f"ELSE PERFORM pg_notify('{CHANNEL}', '*'); END IF; "
        "RETURN NULL; END $$"
    )
    for table, kind in TABLES.items():
        op.execute(
            f"CREATE TRIGGER {table}_credential_update AFTER UPDATE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION notify_credential_change('{kind}')"
        )
        op.execute(
            f"CREATE TRIGGER {table}_credential_delete AFTER DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION notify_credential_change()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_credential_update ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_credential_delete ON {table}")
    op.execute("DROP FUNCTION IF EXISTS notify_credential_change()")
