"""What every platform-admin command shares: error handling, one transaction per command, output.

Shared plumbing: feature packages import it for their `commands.py`; it imports no feature.
The command line itself (the `platform-admin` group and the list of feature groups) is
`platform_api/admin.py`, on top. Reading CSV and JSON Lines files for imports: `cli/imports.py`.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import click
from marshmallow import ValidationError
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from ..config import ConfigError
from ..db import get_db, set_write_intent
from ..errors import ApiError, pointer_errors
from ..exceptions import DomainError, Invalid

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
        except Invalid as exc:  # the operator's input breaks a rule: a usage error, exit 2
            err = _usage_error(exc.errors, exc.detail)
        except DomainError as exc:  # not found, forbidden, conflict, state: the action is refused, exit 1
            err = AdminError(exc.detail)
        except ApiError as exc:  # a protocol error from shared plumbing; 400 means malformed input
            err = _usage_error(exc.errors or [], exc.detail) if exc.status == 400 else AdminError(exc.detail)
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
    """What every command shares: the app (built on first use) and one transaction per command.

    `factory` builds the app when a command first needs it (`platform_api.admin` passes
    create_app); tests pass a ready `app` instead.
    """

    def __init__(self, app=None, factory: Callable[[], Any] | None = None):
        self._app = app
        self._factory = factory

    @property
    def app(self):
        if self._app is None:
            if self._factory is None:
                raise RuntimeError("AdminContext needs an app or an app factory")
            self._app = self._factory()
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
