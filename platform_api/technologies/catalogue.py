"""Reading a patent supermarket's catalogue (CSV or JSON Lines) into validated create bodies.

The file itself (formats, header, lines, problems) is read by the shared import pipeline,
platform_api/cli/imports.py; what is particular to listings is here: the language-suffixed
columns (title_en, summary_zh...), how a CSV record becomes the API's create body, the owner.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass

import click
from marshmallow import ValidationError

from ..api.schemas import is_language_tag
from ..cli.imports import Columns, Problems, UnknownColumn, read
from .schemas import TechnologyCreateSchema


@dataclass
class Row:
    line: int  # physical line where the record starts
    owner_id: str | None
    data: dict | None  # the validated create body; None if the row has problems


CSV_SCALARS = ("owner_id", "field", "trl", "origin_country", "price_amount", "price_currency", "ip_rights")
CSV_LISTS = ("keywords", "ipc", "deal_types", "countries_available")
CSV_REQUIRED = ("field", "trl", "deal_types", "origin_country", "title_<lang>", "summary_<lang>")
MULTILINGUAL = ("title", "summary")
RIGHT_PARTS = ("kind", "office", "number", "status", "filed_on", "expires_on")
SEE_HELP = "See: platform-admin technologies import --help"
_INTEGER = re.compile(r"^[+-]?[0-9]{1,6}$")


def csv_column(cell: str) -> tuple[str, str]:
    """A header cell as (column, entry): 'TITLE_EN' is ('title_en', 'title_<lang>'), 'Trl' is ('trl', 'trl')."""
    name = cell.strip()
    prefix, _, lang = name.partition("_")
    primary, dash, rest = lang.partition("-")
    lang = primary.lower() + dash + rest  # spreadsheets like upper case: TITLE_EN is title_en
    if prefix.lower() in MULTILINGUAL and lang:
        if not is_language_tag(lang):
            raise UnknownColumn(f"{lang!r} is not a language tag")
        return f"{prefix.lower()}_{lang}", f"{prefix.lower()}_<lang>"
    return name.lower(), name.lower()


def csv_columns(owner_given: bool) -> Columns:
    """The catalogue's CSV header: owner_id is required unless --owner names the owner of every row."""
    required = CSV_REQUIRED + (() if owner_given else ("owner_id",))
    optional = tuple(c for c in CSV_SCALARS + CSV_LISTS if c not in required)
    return Columns(required, optional, column=csv_column, notes={"owner_id": "or give --owner"}, help=SEE_HELP)


def _csv_rights(cell: str) -> tuple[list | None, list | dict]:
    """The rights in a cell, and the problems with it (marshmallow's shape: by item, or for the cell)."""
    if cell.startswith("["):
        try:
            return json.loads(cell), {}
        except json.JSONDecodeError as exc:
            return None, [f"not a valid JSON array: {exc.msg}"]
    rights, errors = [], {}
    for i, item in enumerate(p for p in cell.split(";") if p.strip()):
        parts = [p.strip() for p in item.split("|")]
        if not 4 <= len(parts) <= 6:
            errors[i] = [f"expected kind|office|number|status[|filed_on[|expires_on]], found {len(parts)} part(s)"]
        rights.append({k: v for k, v in zip(RIGHT_PARTS, parts) if v or k not in ("filed_on", "expires_on")})
    return rights, errors


def csv_body(fields: dict) -> tuple[dict, dict]:
    """A CSV record's cells as the body the API would receive, and the problems only a CSV cell can have."""
    body: dict = {}
    errors: dict = {}
    for column, cell in fields.items():
        prefix, _, lang = column.partition("_")
        if prefix in MULTILINGUAL and lang:
            body.setdefault(prefix, {})[lang] = cell
        elif column in CSV_LISTS:
            body[column] = [v.strip() for v in cell.split(";") if v.strip()]
        elif column == "trl":
            body["trl"] = int(cell) if _INTEGER.match(cell) else cell  # else the schema says why
        elif column in ("price_amount", "price_currency"):
            body.setdefault("asking_price", {})[column.removeprefix("price_")] = cell
        elif column == "ip_rights":
            rights, problems = _csv_rights(cell)
            if problems:  # reported as they are; the schema would only add noise about the same cell
                errors["ip_rights"] = problems
            else:
                body["ip_rights"] = rights
        else:
            body[column] = cell
    return body, errors


def csv_listing(schema: TechnologyCreateSchema):
    """A validator of CSV records: the cells as the API's body, checked with the API's schema."""

    def load(fields: dict) -> dict:
        body, errors = csv_body(fields)
        try:
            data = schema.load(body)
        except ValidationError as exc:
            raise ValidationError({**errors, **exc.messages}) from None
        if errors:
            raise ValidationError(errors)
        return data

    return load


def read_rows(path: str, owner_given: bool) -> tuple[list[Row], Problems]:
    """Every listing in the file, checked with the API's create schema: (rows, problems by line)."""
    source = read(path, columns=csv_columns(owner_given), item="listing", items="listings")
    schema = TechnologyCreateSchema()
    validator = schema if source.format == "jsonl" else csv_listing(schema)
    records, problems, rows = source.records, source.problems, []
    records.reverse()  # popped one by one below, so that each raw record is freed once checked
    with click.progressbar(length=len(records), label="Checking listings", file=sys.stderr) as bar:
        while records:
            record = records.pop()
            bar.update(1)
            owner = record.fields.pop("owner_id", None)
            if owner is not None and not isinstance(owner, str):
                problems.add(record.line, "Must be a member ID.", pointer="/owner_id")
                problems.check(record.line, validator, record.fields)
                continue
            # Rows with problems stay in the list (data None) so that their owners are checked too.
            rows.append(Row(record.line, owner, problems.check(record.line, validator, record.fields)))
    return rows, problems
