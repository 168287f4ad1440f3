"""Checks a client that openapi-python-client generated from openapi.yaml (scripts/contract).

Usage: check_python_client.py <openapi.yaml> <generated package folder>

The generator's warnings are checked by scripts/contract itself; this looks at what came out:
- every module it imports from the package exists (a client that imports a module it never
  wrote does not load);
- every operation of the document has its function, and each of the operation's documented
  responses with a JSON body is parsed into a model (`Problem`, `ValidationProblem`, ...), never
  left as `None` or `Any`;
- every `*Page` model's `data` is a list of a model, and `next_cursor` a `str | None`;
- request bodies' required properties are required fields of their model.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import yaml

HTTP_METHODS = ("get", "put", "post", "patch", "delete")


def snake(name: str) -> str:
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def resolve(document: dict, node: dict) -> dict:
    while "$ref" in node:
        target = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def check_imports(package: Path, failures: list[str]) -> None:
    for path in package.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = path.parent
                for _ in range(node.level - 1):
                    base = base.parent
                target = base.joinpath(*node.module.split(".")) if node.module else base
                if not (target.with_suffix(".py").exists() or (target / "__init__.py").exists()):
                    failures.append(f"{path.relative_to(package)} imports {'.' * node.level}{node.module}, which was not written")


def _fields(package: Path, model: str) -> dict[str, str]:
    """The annotated fields of a generated attrs model: {name: annotation}."""
    path = package / "models" / f"{snake(model)}.py"
    if not path.exists():
        return {}
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == model:
            return {
                item.target.id: ast.unparse(item.annotation)
                for item in node.body
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
            }
    return {}


COUNTS = {"operations": 0, "typed responses": 0, "pages": 0, "required body fields": 0}


def check_operations(document: dict, package: Path, failures: list[str]) -> None:
    for path, item in document["paths"].items():
        for method in HTTP_METHODS:
            op = item.get(method)
            if op is None:
                continue
            tag = op["tags"][0]
            module = package / "api" / snake(tag).replace("-", "_") / f"{snake(op['operationId'])}.py"
            if not module.exists():
                failures.append(f"{method.upper()} {path}: no {module.relative_to(package)}")
                continue
            source = module.read_text(encoding="utf-8")
            COUNTS["operations"] += 1
            for status, response in op["responses"].items():
                content = resolve(document, response).get("content", {})
                if not any(t == "application/json" or t.endswith("+json") for t in content):
                    continue
                parsed = re.search(rf"if response\.status_code == {status}:\n(.*?)\n\n", source, re.S)
                if parsed is None:
                    failures.append(f"{method.upper()} {path} {status}: not parsed")
                elif re.search(r"= None$|cast\(Any", parsed.group(1), re.M):
                    failures.append(f"{method.upper()} {path} {status}: parsed untyped: {parsed.group(1).strip()[:120]}")
                else:
                    COUNTS["typed responses"] += 1


def check_models(document: dict, package: Path, failures: list[str]) -> None:
    schemas = document["components"]["schemas"]
    for name, schema in schemas.items():
        if name.endswith("Page"):
            fields = _fields(package, name)
            COUNTS["pages"] += 1
            data, cursor = fields.get("data", ""), fields.get("next_cursor", "")
            if not re.fullmatch(r"list\[[A-Z]\w*( \| [A-Z]\w*)*\]", data):
                failures.append(f"{name}.data is {data or 'missing'}, not a list of models")
            if cursor not in ("None | str", "str | None"):
                failures.append(f"{name}.next_cursor is {cursor or 'missing'}")
    for path, item in document["paths"].items():
        for method in HTTP_METHODS:
            body = item.get(method, {}).get("requestBody", {}).get("content", {}).get("application/json")
            if not body or "$ref" not in body["schema"]:
                continue
            model = body["schema"]["$ref"].rsplit("/", 1)[-1]
            schema = resolve(document, body["schema"])
            fields = _fields(package, model)
            for prop in schema.get("required", []):
                annotation = fields.get(prop)
                COUNTS["required body fields"] += 1
                if annotation is None or "Unset" in annotation:
                    failures.append(f"{model}.{prop} is required in openapi.yaml, {annotation or 'missing'} in the client")


def main() -> int:
    document = yaml.safe_load(Path(sys.argv[1]).read_text(encoding="utf-8"))
    package = Path(sys.argv[2])
    failures: list[str] = []
    check_imports(package, failures)
    check_operations(document, package, failures)
    check_models(document, package, failures)
    for failure in failures:
        print(f"python client: {failure}", file=sys.stderr)
    print("python client: checked " + ", ".join(f"{n} {what}" for what, n in COUNTS.items()))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
