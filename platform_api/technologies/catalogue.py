"""Reading a patent supermarket's catalogue (CSV or JSON Lines) into validated create bodies."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import click
from marshmallow import ValidationError

from ..api.schemas import is_language_tag
from ..cli import AdminError, read_text_file
from ..cli import csv_records as csv_lines
from ..errors import pointer_errors
from .schemas import TechnologyCreateSchema


@dataclass
class Row:
    line: int  # physical line where the record starts
    owner_id: str | None
    data: dict | None  # the validated create body; None if the row has problems


def jsonl_records(path: str, text: str) -> tuple[list[tuple[int, dict]], list[tuple[int, str]]]:
    """(line, object) per non-blank line of a JSON Lines file."""
    records, errors = [], []
    # Only "\n" ends a line: JSON strings may hold U+2028 and friends, which splitlines() splits on.
    for line, raw in enumerate(text.split("\n"), start=1):
        if not raw.strip():
            continue
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            errors.append((line, f"not valid JSON: {exc.msg} (column {exc.colno})"))
            continue
        if isinstance(value, dict):
            records.append((line, value))
        else:
            errors.append((line, "must be a JSON object (one listing per line)"))
    return records, errors


CSV_SCALARS = ("owner_id", "field", "trl", "origin_country", "price_amount", "price_currency", "ip_rights")
CSV_LISTS = ("keywords", "ipc", "deal_types", "countries_available")
CSV_REQUIRED = ("field", "trl", "deal_types", "origin_country")
RIGHT_PARTS = ("kind", "office", "number", "status", "filed_on", "expires_on")
SEE_HELP = "See: platform-admin technologies import --help"
_INTEGER = re.compile(r"^[+-]?[0-9]{1,6}$")


def _csv_header(path: str, header: list[str], owner_given: bool) -> list[tuple[str, str | None]]:
    """(column, language or None) per header cell, or exit 1 naming every problem."""
    columns, problems, unknown = [], [], []
    for cell in header:
        name = cell.strip()
        prefix, _, lang = name.partition("_")
        primary, dash, rest = lang.partition("-")
        lang = primary.lower() + dash + rest  # spreadsheets like upper case: TITLE_EN is title_en
        if prefix.lower() in ("title", "summary") and lang:
            if is_language_tag(lang):
                columns.append((prefix.lower(), lang))
            else:
                unknown.append(f"{name!r} ({lang!r} is not a language tag)")
        elif name.lower() in CSV_SCALARS + CSV_LISTS:
            columns.append((name.lower(), None))
        else:
            unknown.append(repr(name))
    if unknown:
        problems.append(f"unknown column(s) {', '.join(unknown)}")
    names = [f"{c}_{lang}" if lang else c for c, lang in columns]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        problems.append(f"repeated column(s) {', '.join(repeated)}")
    present = {c for c, _ in columns}
    missing = [c for c in CSV_REQUIRED if c not in present]
    missing += [f"{c}_<lang>" for c in ("title", "summary") if c not in present]
    if not owner_given and "owner_id" not in present:
        missing.append("owner_id (or give --owner)")
    if missing:
        problems.append(f"missing column(s) {', '.join(missing)}")
    if problems:
        raise AdminError(f"{path}: line 1: bad header: {'; '.join(problems)}. {SEE_HELP}")
    return columns


def _csv_rights(cell: str) -> tuple[list | None, list[tuple[str, str]]]:
    if cell.startswith("["):
        try:
            value = json.loads(cell)
        except json.JSONDecodeError as exc:
            return None, [("/ip_rights", f"not a valid JSON array: {exc.msg}")]
        return value, []
    rights, errors = [], []
    for i, item in enumerate(p for p in cell.split(";") if p.strip()):
        parts = [p.strip() for p in item.split("|")]
        if not 4 <= len(parts) <= 6:
            errors.append((f"/ip_rights/{i}", f"expected kind|office|number|status[|filed_on[|expires_on]], "
                                              f"found {len(parts)} part(s)"))
        rights.append({k: v for k, v in zip(RIGHT_PARTS, parts) if v or k not in ("filed_on", "expires_on")})
    return rights, errors


def csv_records(path: str, text: str, owner_given: bool) -> tuple[list[tuple[int, dict]], list[tuple[int, str]]]:
    """(line, body as the API would receive it) per CSV record."""
    raw = csv_lines(path, text)
    if not raw:
        raise AdminError(f"{path}: the file is empty; expected a header line. {SEE_HELP}")
    if raw[0][0] != 1:
        raise AdminError(f"{path}: line {raw[0][0]}: the header must be on line 1.")
    columns = _csv_header(path, raw[0][1], owner_given)
    records, errors = [], []
    for line, cells in raw[1:]:
        if len(cells) > len(columns):
            errors.append((line, f"expected {len(columns)} columns, found {len(cells)}"))
            continue
        body: dict = {}
        for (column, lang), cell in zip(columns, cells):
            cell = cell.strip()
            if not cell:
                continue
            if lang:
                body.setdefault(column, {})[lang] = cell
            elif column in CSV_LISTS:
                body[column] = [v.strip() for v in cell.split(";") if v.strip()]
            elif column == "trl":
                body["trl"] = int(cell) if _INTEGER.match(cell) else cell  # else the schema says why
            elif column in ("price_amount", "price_currency"):
                body.setdefault("asking_price", {})[column.removeprefix("price_")] = cell
            elif column == "ip_rights":
                rights, problems = _csv_rights(cell)
                if problems:  # reported here; the schema would only add noise about the same cell
                    errors.extend((line, f"{pointer}: {message}") for pointer, message in problems)
                else:
                    body["ip_rights"] = rights
            else:
                body[column] = cell
        records.append((line, body))
    return records, errors


def read_rows(path: str, owner_given: bool) -> tuple[list[Row], list[tuple[int, str]]]:
    """Every listing in the file, checked with the API's create schema: (rows, (line, problem))."""
    suffix = Path(path).suffix.lower()
    if suffix not in (".csv", ".jsonl", ".ndjson"):
        raise AdminError(f"{path}: cannot tell the format from the file name; name it .csv, .jsonl or .ndjson.")
    text = read_text_file(path)
    if suffix == ".csv":
        records, errors = csv_records(path, text, owner_given)
    else:
        records, errors = jsonl_records(path, text)
    if not records and not errors:
        raise AdminError(f"{path}: no listings to import.")
    bad_lines = {line for line, _ in errors}
    schema, rows = TechnologyCreateSchema(), []
    records.reverse()  # popped one by one below, so that each raw record is freed once checked
    with click.progressbar(length=len(records), label="Checking listings", file=sys.stderr) as bar:
        while records:
            line, body = records.pop()
            bar.update(1)
            owner = body.pop("owner_id", None)
            problems = []
            if owner is not None and not isinstance(owner, str):
                problems.append("/owner_id: Must be a member ID.")
            try:
                data = schema.load(body)
            except ValidationError as exc:
                problems += [f"{e['pointer']}: {e['detail']}" if e["pointer"] else e["detail"]
                             for e in pointer_errors(exc.messages)]
            errors.extend((line, p) for p in problems)
            # Rows with problems stay in the list so that their owners are checked too.
            if owner is None or isinstance(owner, str):
                rows.append(Row(line, owner, None if problems or line in bad_lines else data))
    return rows, errors


