"""Running platform-admin inside the test's rolled-back transaction, and reading what it wrote."""

from __future__ import annotations

import json

from click.testing import CliRunner, Result
from sqlalchemy import func, select

from platform_api.audit.models import AuditEvent
from platform_api.admin import main
from platform_api.cli import AdminContext


class Cli:
    """Invoke platform-admin against the test app; commands join the test's outer transaction."""

    def __init__(self, app):
        self.app = app

    def __call__(self, *args: str, input: str | None = None, env: dict | None = None) -> Result:
        result = CliRunner().invoke(
            main, list(args), obj=AdminContext(app=self.app), input=input, env=env, catch_exceptions=False
        )
        assert "Traceback" not in result.output
        return result

    def ok(self, *args: str, **kwargs) -> Result:
        result = self(*args, **kwargs)
        assert result.exit_code == 0, result.output
        return result

    def json(self, *args: str, **kwargs):
        """Run with --json; stdout must be exactly one JSON value."""
        result = self.ok(*args, "--json", **kwargs)
        return json.loads(result.stdout)

    def fails(self, exit_code: int, *args: str, **kwargs) -> Result:
        """Run a command that must be refused: nothing on stdout, a message on stderr."""
        result = self(*args, **kwargs)
        assert result.exit_code == exit_code, result.output
        assert result.stdout == ""
        assert "Error:" in result.stderr
        return result


def count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def audit_events(session, action: str | None = None) -> list[AuditEvent]:
    stmt = select(AuditEvent).order_by(AuditEvent.occurred_at)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    return list(session.scalars(stmt))
