"""platform-admin: the admin command line. Each command runs in one transaction of its own.

The top of the house, beside app.py: it names every feature's command group (the list below) and
the database commands. The helpers the groups share are in `platform_api.cli`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from sqlalchemy import inspect as sa_inspect

from .app import create_app
from .cli import AdminContext, AdminError, AdminGroup, emit, json_option, pass_admin
from .db import set_write_intent


@click.group(
    "platform-admin",
    cls=AdminGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    # Every feature's group, imported when it is first used (--help lists them without loading any).
    lazy={
        "members": "platform_api.members.commands:members",
        "users": "platform_api.accounts.commands:users",
        "clients": "platform_api.oauth.commands:clients",
        "tokens": "platform_api.oauth.commands:tokens",
        "audit": "platform_api.audit.commands:audit",
        "fx": "platform_api.matching.commands:fx_group",
        "technologies": "platform_api.technologies.commands:technologies",
        "referrals": "platform_api.referrals.commands:referrals",
        "events": "platform_api.events.commands:events",
        "webhooks": "platform_api.webhooks.commands:webhooks",
        "demo": "platform_api.demo.commands:demo",
    },
)
@click.pass_context
def main(ctx: click.Context) -> None:
    """Administer the platform: database, members, people, OAuth clients and tokens, audit log.

    Settings come from the environment (DATABASE_URL, SECRET_KEY, ...), as for the service.
    The audit log names the operator from PLATFORM_ADMIN_ACTOR, else the OS user.
    """
    if ctx.obj is None:
        ctx.obj = AdminContext(factory=create_app)


@main.command("init")
@json_option
def init(as_json: bool) -> None:
    """Create the instance folder and, in development, its secret key. Safe to run again.

    The folder is PLATFORM_INSTANCE_PATH (default ./instance); the default SQLite database goes
    there. Unless PLATFORM_ENV=production or SECRET_KEY is set, it also gets secret_key (mode 0600),
    which the service then uses as its SECRET_KEY. What exists already is left as it is.
    """
    from .config import instance_plan
    from .instance import init_instance

    folder, secret = instance_plan()
    try:
        created = init_instance(folder, secret=secret)
    except OSError as exc:
        raise AdminError(f"Cannot create {exc.filename or folder}: {exc.strerror}.") from None
    text = "\n".join(f"Created {path}" for path in created) or f"{folder}: everything is there; nothing to do."
    emit(as_json, {"instance_path": str(folder), "created": created}, text)


@main.group("db")
def db_group() -> None:
    """Database schema migrations."""


def _head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    from .migrate import alembic_config

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def _sqlite_folder_must_exist(settings) -> None:
    """SQLite creates its file, not its folder: say what to do instead of 'unable to open database file'."""
    from sqlalchemy.engine import make_url

    database = make_url(settings.database_url).database if settings.is_sqlite else None
    folder = Path(database).parent if database and database != ":memory:" else None
    if folder is None or folder.is_dir():
        return
    if folder == Path(settings.instance_path):
        raise AdminError(f"The instance folder {folder} does not exist (the SQLite database goes there): "
                         "run `platform-admin init` first.")
    raise AdminError(f"The SQLite database's folder {folder} does not exist: create it or change DATABASE_URL.")


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Alembic revision to upgrade to.")
@json_option
@pass_admin
def db_upgrade(admin: AdminContext, revision: str, as_json: bool) -> None:
    """Apply migrations (up to head by default)."""
    from alembic.util import CommandError

    from . import migrate

    _sqlite_folder_must_exist(admin.settings)
    url = admin.settings.database_url
    before = migrate.current(url)
    try:
        migrate.upgrade(url, revision)
    except CommandError as exc:
        raise AdminError(f"Cannot upgrade to {revision!r}: {exc}") from None
    after = migrate.current(url)
    if after != before:
        from .audit.services import record

        with admin.transaction() as session:
            # An old target revision may predate the audit table.
            if sa_inspect(session.connection()).has_table("audit_events"):
                record(session=session, action="db.upgrade", target_type="database", target_id=after,
                       details={"from": before, "to": after})
    data = {"from": before, "to": after, "changed": after != before}
    text = (f"Database upgraded from {before or '(empty)'} to {after}." if after != before
            else f"Database already at {after or '(empty)'}; nothing to do.")
    emit(as_json, data, text)


@db_group.command("current")
@json_option
@pass_admin
def db_current(admin: AdminContext, as_json: bool) -> None:
    """Print the current migration revision."""
    from . import migrate

    _sqlite_folder_must_exist(admin.settings)
    set_write_intent(False)
    try:
        revision = migrate.current(admin.settings.database_url)
    finally:
        set_write_intent(True)
    head = _head_revision()
    data = {"revision": revision, "head": head, "up_to_date": revision == head}
    if revision is None:
        text = f"No migrations applied (empty database); newest is {head}. Run: platform-admin db upgrade"
    elif revision == head:
        text = f"{revision} (head: up to date)"
    else:
        text = f"{revision} (newest is {head}; run: platform-admin db upgrade)"
    emit(as_json, data, text)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
