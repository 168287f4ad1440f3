"""Every command explains itself."""

from __future__ import annotations

import click
import pytest

from platform_api.admin import main

COMMANDS = [
    ("init",), ("demo",),
    ("db", "upgrade"), ("db", "current"),
    ("members", "add"), ("members", "import"), ("members", "approve"), ("members", "suspend"),
    ("members", "reinstate"), ("members", "terminate"), ("members", "list"), ("members", "show"),
    ("users", "add"), ("users", "disable"), ("users", "list"),
    ("clients", "add"), ("clients", "rotate-secret"), ("clients", "revoke"), ("clients", "list"),
    ("tokens", "purge"),
    ("audit", "list"),
    ("fx", "load"), ("fx", "list"),
    ("referrals", "list"), ("referrals", "verify"), ("events", "purge"),
    ("webhooks", "purge"), ("webhooks", "worker"),
    ("technologies", "review-queue"), ("technologies", "approve"), ("technologies", "reject"),
    ("technologies", "show"), ("technologies", "list"), ("technologies", "import"),
]


def test_the_command_tree_is_complete():
    ctx = click.Context(main)
    found = set()
    for group in main.list_commands(ctx):
        sub = main.get_command(ctx, group)
        if isinstance(sub, click.Group):
            found |= {(group, name) for name in sub.list_commands(ctx)}
        else:
            found.add((group,))
    assert found == set(COMMANDS)


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_help_and_json_flag(cli, path):
    result = cli.ok(*path, "--help")
    assert result.stdout.startswith(f"Usage: platform-admin {' '.join(path)}")
    assert len(result.stdout.splitlines()) > 4
    assert "--json" in result.stdout
