"""platform-admin db upgrade / current, against a fresh SQLite file."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect, select

from platform_api import create_app
from platform_api.audit.models import AuditEvent
from platform_api.admin import main
from platform_api.cli import AdminContext
from platform_api.db import get_db

from .helpers import Cli


@pytest.fixture
def fresh_app(tmp_path):
    app = create_app({
        "database_url": f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
        "env": "test",
        "secret_key": "x" * 40,
        "instance_path": str(tmp_path),
    })
    yield app
    get_db(app).dispose()


@pytest.fixture
def fresh_cli(fresh_app) -> Cli:
    return Cli(fresh_app)


def test_upgrade_creates_the_schema_and_current_reports_head(fresh_cli, fresh_app):
    empty = fresh_cli.json("db", "current")
    assert empty["revision"] is None and empty["up_to_date"] is False and empty["head"]
    assert "No migrations applied" in fresh_cli.ok("db", "current").stdout

    result = fresh_cli.ok("db", "upgrade")
    assert result.stdout.strip() == f"Database upgraded from (empty) to {empty['head']}."
    engine = get_db(fresh_app).engine
    tables = set(inspect(engine).get_table_names())
    assert {"members", "users", "oauth_clients", "oauth_tokens", "audit_events"} <= tables

    assert fresh_cli.json("db", "current") == {"revision": empty["head"], "head": empty["head"], "up_to_date": True}
    assert "up to date" in fresh_cli.ok("db", "current").stdout

    with AdminContext(app=fresh_app).transaction(write=False) as session:
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "db.upgrade")).all()
        assert event.details == {"from": None, "to": empty["head"]}


def test_upgrading_twice_changes_nothing(fresh_cli):
    first = fresh_cli.json("db", "upgrade", "--revision", "head")
    assert first["from"] is None and first["changed"] is True
    again = fresh_cli.json("db", "upgrade")
    assert again == {"from": first["to"], "to": first["to"], "changed": False}
    assert "nothing to do" in fresh_cli.ok("db", "upgrade").stdout


def test_an_unknown_revision_is_refused_clearly(fresh_cli):
    result = fresh_cli.fails(1, "db", "upgrade", "--revision", "deadbeef")
    assert "Cannot upgrade to 'deadbeef'" in result.stderr


def test_current_reads_beside_a_writer(cli):
    # The test's outer transaction holds SQLite's write lock: a read-only command must not wait for it.
    assert cli.json("db", "current")["up_to_date"] is True


def run_unconfigured(tmp_path, env: dict, *args: str):
    """platform-admin as an operator runs it: the app is built from the environment."""
    env = {"SECRET_KEY": "s" * 40, "PLATFORM_INSTANCE_PATH": str(tmp_path), "PLATFORM_ENV": "test", **env}
    result = CliRunner().invoke(main, list(args), obj=AdminContext(factory=create_app), env=env, catch_exceptions=False)
    assert "Traceback" not in result.output and result.stdout == ""
    return result


def test_a_malformed_database_url_is_a_clear_error(tmp_path):
    result = run_unconfigured(tmp_path, {"DATABASE_URL": "postgres://db.example/platform"}, "members", "list")
    assert result.exit_code == 1
    assert "Configuration error: DATABASE_URL for PostgreSQL must use the psycopg 3 driver" in result.stderr


def test_an_unreachable_database_is_a_clear_error(tmp_path):
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2"
    result = run_unconfigured(tmp_path, {"DATABASE_URL": url}, "members", "list")
    assert result.exit_code == 1 and "Error: The database is unavailable:" in result.stderr
