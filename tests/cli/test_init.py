"""platform-admin init: the instance folder and the development secret, made on purpose, once."""

from __future__ import annotations

import json
import os
import stat

from click.testing import CliRunner

from platform_api import create_app
from platform_api.admin import main
from platform_api.cli import AdminContext


def run(env: dict, *args: str):
    env = {"PLATFORM_ENV": None, "SECRET_KEY": None, "DATABASE_URL": None, **env}
    result = CliRunner().invoke(main, list(args), obj=AdminContext(factory=create_app), env=env, catch_exceptions=False)
    assert "Traceback" not in result.output
    return result


def test_init_creates_the_folder_and_a_private_secret_then_nothing(tmp_path):
    instance = tmp_path / "instance"
    env = {"PLATFORM_INSTANCE_PATH": str(instance)}
    first = run(env, "init")
    assert first.exit_code == 0, first.output
    assert first.stdout.splitlines() == [f"Created {instance}", f"Created {instance / 'secret_key'}"]
    assert stat.S_IMODE(os.stat(instance / "secret_key").st_mode) == 0o600
    key = (instance / "secret_key").read_text()

    again = run(env, "init", "--json")
    assert again.exit_code == 0 and json.loads(again.stdout) == {"instance_path": str(instance), "created": []}
    assert "everything is there" in run(env, "init").stdout
    assert (instance / "secret_key").read_text() == key


def test_with_a_secret_key_or_in_production_init_makes_only_the_folder(tmp_path):
    for name, env in [("a", {"SECRET_KEY": "s" * 40}), ("b", {"PLATFORM_ENV": "production"})]:
        instance = tmp_path / name
        result = run({"PLATFORM_INSTANCE_PATH": str(instance), **env}, "init", "--json")
        assert json.loads(result.stdout)["created"] == [str(instance)]
        assert list(instance.iterdir()) == []


def test_init_that_cannot_create_the_folder_says_why(tmp_path):
    (tmp_path / "taken").write_text("")
    result = run({"PLATFORM_INSTANCE_PATH": str(tmp_path / "taken")}, "init")
    assert result.exit_code == 1 and result.stdout == ""
    assert f"Error: Cannot create {tmp_path / 'taken'}" in result.stderr


def test_then_db_upgrade_works_on_the_default_sqlite(tmp_path):
    env = {"PLATFORM_INSTANCE_PATH": str(tmp_path / "instance")}
    assert run(env, "init").exit_code == 0
    result = run(env, "db", "upgrade")
    assert result.exit_code == 0 and "Database upgraded from (empty)" in result.stdout, result.output
    assert (tmp_path / "instance" / "platform.sqlite3").exists()


def test_db_upgrade_before_init_says_to_run_it(tmp_path):
    instance = tmp_path / "instance"
    for env in ({}, {"SECRET_KEY": "s" * 40}):
        result = run({"PLATFORM_INSTANCE_PATH": str(instance), **env}, "db", "upgrade")
        assert result.exit_code == 1 and result.stdout == ""
        assert "run `platform-admin init`" in result.stderr
    assert not instance.exists()
