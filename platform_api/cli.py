"""platform-admin: the admin command line. Each command runs in one transaction of its own."""

from __future__ import annotations

import contextlib
import csv
import io
import importlib
import json
import sys
import unicodedata
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import click
from marshmallow import ValidationError
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from .config import ConfigError
from .db import get_db, set_write_intent
from .errors import ApiError, pointer_errors

# Which option the operator typed for a field a schema or service names in an error.
_OPTION_FOR = {
    "grant_types": "--grant",
    "scopes": "--scope",
    "redirect_uris": "--redirect-uri",
    "client_type": "--type",
    "password": "--password-stdin",
}


class AdminError(click.ClickException):
    """A refused action (unknown ID, illegal transition, duplicate): one line on stderr, exit 1."""

    exit_code = 1


def option_name(pointer: str) -> str:
    """'/grant_types/0' -> '--grant'; '' -> ''."""
    field = pointer.strip("/").split("/")[0]
    if not field:
        return ""
    return _OPTION_FOR.get(field, "--" + field.replace("_", "-"))


def _usage_error(errors: Sequence[dict], fallback: str) -> click.UsageError:
    items = [(option_name(e.get("pointer", "")), e["detail"]) for e in errors or ()]
    if len(items) == 1:
        name, detail = items[0]
        return click.UsageError(f"Invalid value for '{name}': {detail}" if name else detail)
    if not items:
        return click.UsageError(fallback)
    parts = [f"'{name}': {detail.rstrip('.')}" if name else detail.rstrip(".") for name, detail in items]
    return click.UsageError(f"Invalid values: {'; '.join(parts)}.")


class AdminCommand(click.Command):
    """A command whose domain and database errors become a clear message, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ValidationError as exc:
            err = _usage_error(pointer_errors(exc.messages), "The input is invalid.")
        except ApiError as exc:
            # 400/422 mean the operator's input was malformed (a usage error, exit 2); anything
            # else (404, 409, ...) is a refusal of the action itself (exit 1).
            if exc.status in (400, 422):
                err = _usage_error(exc.errors or [], exc.detail)
            else:
                err = AdminError(exc.detail)
        except IntegrityError:
            err = AdminError("The change conflicts with data already stored (a duplicate?); nothing was written.")
        except OperationalError as exc:
            first_line = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
            err = AdminError(f"The database is unavailable: {first_line}")
        except DBAPIError as exc:
            err = AdminError(f"The database refused the command ({type(exc.orig).__name__}); nothing was written.")
        except ConfigError as exc:
            err = AdminError(f"Configuration error: {exc}")
        err.ctx = ctx
        raise err


class AdminGroup(click.Group):
    """A group of admin commands; `lazy` maps names to 'module:attribute' imported on first use."""

    command_class = AdminCommand
    group_class = type

    def __init__(self, *args: Any, lazy: dict[str, str] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            module, attr = self.lazy[cmd_name].split(":")
            self.add_command(getattr(importlib.import_module(module), attr), cmd_name)
        return super().get_command(ctx, cmd_name)


class AdminContext:
    """What every command shares: the app (built on first use) and one transaction per command."""

    def __init__(self, app=None):
        self._app = app

    @property
    def app(self):
        if self._app is None:
            from . import create_app

            self._app = create_app()
        return self._app

    @property
    def settings(self):
        return self.app.config["PLATFORM"]

    @contextlib.contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """A session that commits when the block ends and rolls back if it raises."""
        app = self.app
        set_write_intent(write)
        session = get_db(app).sessionmaker()
        try:
            with app.app_context():
                yield session
                session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
            set_write_intent(True)


pass_admin = click.make_pass_decorator(AdminContext, ensure=True)

json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print exactly one JSON value on stdout instead of text."
)


def emit(as_json: bool, data: Any, text: str | None = None) -> None:
    """Print the result: `data` as JSON, or `text` for people."""
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    elif text is not None:
        click.echo(text)


def note(message: str) -> None:
    """A message for the operator that must never mix with the JSON on stdout."""
    click.echo(message, err=True)


def read_text_file(path: str) -> str:
    """A UTF-8 text file (a byte-order mark is dropped), or exit 1 saying why it cannot be read."""
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AdminError(f"{path}: not UTF-8 text (bad byte at offset {exc.start}).") from None
    except OSError as exc:
        raise AdminError(f"{path}: {exc.strerror}.") from None


def csv_records(path: str, text: str) -> list[tuple[int, list[str]]]:
    """(physical line where it starts, cells) per non-blank CSV record; exit 1 on malformed CSV."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[tuple[int, list[str]]] = []
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return records
        except csv.Error as exc:
            raise AdminError(f"{path}: line {start}: malformed CSV: {exc}.") from None
        if any(c.strip() for c in cells):
            records.append((start, cells))


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain text table; wide (CJK) characters count as two columns."""
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [max([_width(h)] + [_width(r[i]) for r in cells]) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        return "  ".join(v + " " * (w - _width(v)) for v, w in zip(values, widths)).rstrip()

    out = [line(headers), line(["-" * w for w in widths])]
    out.extend(line(r) for r in cells)
    return "\n".join(out)


@click.group(
    "platform-admin",
    cls=AdminGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    lazy={
        "members": "platform_api.members.commands:members",
        "users": "platform_api.accounts.commands:users",
        "clients": "platform_api.oauth.commands:clients",
        "tokens": "platform_api.oauth.commands:tokens",
        "audit": "platform_api.audit.commands:audit",
        "fx": "platform_api.matching.commands:fx_group",
        "technologies": "platform_api.technologies.commands:technologies",
        "referrals": "platform_api.referrals.commands:referrals",
    },
)
@click.pass_context
def main(ctx: click.Context) -> None:
    """Administer the platform: database, members, people, OAuth clients and tokens, audit log.

    Settings come from the environment (DATABASE_URL, SECRET_KEY, ...), as for the service.
    The audit log names the operator from PLATFORM_ADMIN_ACTOR, else the OS user.
    """
    ctx.ensure_object(AdminContext)


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
