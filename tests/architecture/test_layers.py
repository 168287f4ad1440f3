"""The house's layering, checked on the source with the standard library's ast.

Shared plumbing at the bottom, features above it, the app factory and the command line on top;
no cycle between packages. A new module or package must be given a layer here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "platform_api"

# Bottom: what every feature may use, and which imports no feature.
PLUMBING = {"db", "errors", "exceptions", "disclosure", "config", "instance", "security", "logs", "metrics", "api", "cli"}
# Features, in no particular order: which one may use which follows from the no-cycle rule.
FEATURES = {"events", "members", "accounts", "oauth", "audit", "technologies", "investors", "matching", "referrals",
            "stats", "site", "webhooks", "demo"}
# Top: they put the house together.
TOP = {"app", "admin", "models", "migrate", "migrations", "__init__"}

MAX_LINES = 400


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every platform_api module this file imports, at any depth (function-level imports too)."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return {name for name in found if name == "platform_api" or name.startswith("platform_api.")}


def _unit(module: str) -> str:
    """The package-level unit a module belongs to: platform_api.oauth.views -> 'oauth'."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _sources() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py") if "__pycache__" not in p.parts)


def package_graph() -> dict[str, set[str]]:
    known = {_module_name(p) for p in _sources()}
    graph: dict[str, set[str]] = {}
    for path in _sources():
        unit = _unit(_module_name(path))
        graph.setdefault(unit, set())
        for name in _imports(path):
            # `from .a import b` names a.b, which may be an attribute rather than a module.
            while name not in known and "." in name:
                name = name.rpartition(".")[0]
            target = _unit(name)
            if target != unit and name != "platform_api":
                graph[unit].add(target)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_every_unit_has_a_layer():
    units = set(package_graph())
    assert units - (PLUMBING | FEATURES | TOP) == set(), "give the new package or module a layer in this test"


def test_no_cycle_between_packages():
    assert _cycle(package_graph()) is None


def test_plumbing_imports_no_feature_and_nothing_on_top():
    graph = package_graph()
    wrong = {(unit, target) for unit in PLUMBING for target in graph.get(unit, ()) if target not in PLUMBING}
    assert wrong == set()


def test_features_import_nothing_on_top():
    graph = package_graph()
    wrong = {(unit, target) for unit in FEATURES for target in graph.get(unit, ()) if target in TOP}
    assert wrong == set()


def test_services_raise_domain_exceptions_not_http_errors():
    """Services say what went wrong in the domain's words; the edge decides the HTTP status."""
    offenders = []
    for path in ROOT.glob("*/services.py"):
        for name in _imports(path):
            if name.startswith("platform_api.errors"):
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []



def test_the_check_sees_a_cycle():
    """The cycle finder itself: a graph with a loop is reported, one without is not."""
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


@pytest.mark.parametrize("path", ["oauth/views.py", "api/endpoint.py"])
def test_imports_are_resolved(path):
    """Relative imports resolve to the modules they name (the graph is only as good as this)."""
    names = _imports(ROOT / path)
    assert any(name.startswith("platform_api.") for name in names)

def test_modules_are_small():
    long = {str(p.relative_to(ROOT)): n for p in _sources()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}

