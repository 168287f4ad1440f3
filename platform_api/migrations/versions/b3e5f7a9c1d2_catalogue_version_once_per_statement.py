"""catalogue version: on PostgreSQL, bumped once per statement that touches a published listing

The row triggers of 3f1c2a9b7d10 updated `catalogue_state` once per listing. Within one
transaction every update of that one row adds a version the next one has to walk past, so an
import of 100,000 published listings spent most of its time there (20,000 rows: 2.96 s with the
trigger, 0.44 s without; quadratic in the rows of the transaction). Statement triggers with
transition tables bump it once per statement instead, when a row that is or was published is in
it: the version still changes whenever what the public catalogue shows may have changed, which
is all the search cache needs. SQLite keeps its row triggers (an update there is in place).

Revision ID: b3e5f7a9c1d2
Revises: a9d4c2e8f1b3
Create Date: 2026-12-02 07:50:00
"""
from alembic import op

revision = 'b3e5f7a9c1d2'
down_revision = 'a9d4c2e8f1b3'
branch_labels = None
depends_on = None

BUMP = "UPDATE catalogue_state SET version = version + 1 WHERE id = 1"

# Each branch is its own statement: PL/pgSQL plans a statement when it runs it, so the DELETE
# trigger never plans a query on `new_rows`, which it does not have.
FUNCTION = f"""
CREATE FUNCTION bump_catalogue_version_per_statement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF EXISTS (SELECT 1 FROM new_rows WHERE status = 'published') THEN {BUMP}; END IF;
  ELSIF TG_OP = 'DELETE' THEN
    IF EXISTS (SELECT 1 FROM old_rows WHERE status = 'published') THEN {BUMP}; END IF;
  ELSE
    IF EXISTS (SELECT 1 FROM old_rows WHERE status = 'published')
       OR EXISTS (SELECT 1 FROM new_rows WHERE status = 'published') THEN {BUMP}; END IF;
  END IF;
  RETURN NULL;
END $$
"""
STATEMENT_TRIGGERS = {
    "technologies_catalogue_insert": "AFTER INSERT ON technologies REFERENCING NEW TABLE AS new_rows",
    "technologies_catalogue_update": "AFTER UPDATE ON technologies REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "technologies_catalogue_delete": "AFTER DELETE ON technologies REFERENCING OLD TABLE AS old_rows",
}
ROW_TRIGGERS = {  # as 3f1c2a9b7d10 made them
    "technologies_catalogue_insert": ("AFTER INSERT ON technologies", "NEW.status = 'published'"),
    "technologies_catalogue_update": ("AFTER UPDATE ON technologies", "OLD.status = 'published' OR NEW.status = 'published'"),
    "technologies_catalogue_delete": ("AFTER DELETE ON technologies", "OLD.status = 'published'"),
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(FUNCTION)
    for name, event in STATEMENT_TRIGGERS.items():
        op.execute(f"DROP TRIGGER {name} ON technologies")
        op.execute(f"CREATE TRIGGER {name} {event} FOR EACH STATEMENT EXECUTE FUNCTION bump_catalogue_version_per_statement()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, (event, condition) in ROW_TRIGGERS.items():
        op.execute(f"DROP TRIGGER {name} ON technologies")
        op.execute(f"CREATE TRIGGER {name} {event} FOR EACH ROW WHEN ({condition}) EXECUTE FUNCTION bump_catalogue_version()")
    op.execute("DROP FUNCTION bump_catalogue_version_per_statement()")
