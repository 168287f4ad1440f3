"""The one import pipeline of platform-admin: a file of records in, validated values or problems by line out.

Shared plumbing: it imports no feature. An importer says which columns its CSV has, how one
record is validated (a marshmallow schema, or a callable that raises ValidationError) and what is
written; this module reads the file, checks the header, validates every record and reports every
problem the same way, `line N: field: message` on stderr, then "K problem(s) in FILE; nothing
was written." and exit 1 (also with --json: stdout stays empty).

    rows, problems = load(path, MemberCreateSchema(), columns=Columns(("name", "kind")), format="csv")
    problems.add(rows[1].line, "same name as line 2", pointer="/name")  # the feature's own checks
    problems.fail_if_any(path)  # before anything is written: all records or none
    ...write rows[i].value...
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from marshmallow import Schema, ValidationError

from ..errors import pointer_errors
from . import AdminError, note

# File name extension -> format, when the importer does not name the format itself.
FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
MAX_SHOWN = 200  # problems listed on screen; all of them are counted

Validator = Schema | Callable[[dict], Any]


class UnknownColumn(ValueError):
    """Raised by a column hook: the header cell names no column; the text says why."""


def plain_column(cell: str) -> tuple[str, str]:
    """The default column hook: the trimmed cell, in lower case, is the column and the entry it stands for."""
    name = cell.strip().lower()
    return name, name


@dataclass(frozen=True)
class Columns:
    """The header a CSV file must have, on line 1."""

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    # Header cell -> (column name, the entry of `required`/`optional` it stands for), or UnknownColumn.
    # A feature with families of columns (title_en, title_zh... for 'title_<lang>') gives its own.
    column: Callable[[str], tuple[str, str]] = plain_column
    notes: Mapping[str, str] = field(default_factory=dict)  # said after a missing column's name
    help: str = ""  # ends every refusal of the header; default: "Columns: a,b,c (c optional)."
    exact_width: bool = False  # True: every record has a cell per column; else missing last cells are empty

    def hint(self) -> str:
        if self.help:
            return self.help
        optional = f" ({' and '.join(self.optional)} optional)" if self.optional else ""
        return f"Columns: {','.join(self.required + self.optional)}{optional}."


@dataclass(frozen=True)
class Problem:
    line: int  # physical line where the record starts (a CSV header is line 1)
    detail: str
    pointer: str = ""  # JSON pointer to the field ("/title/en"); "" for the record as a whole


class Problems:
    """Every problem found in a file, by line; listed the same way by every importer."""

    def __init__(self, *, pointers: bool = True):
        # False: fields are named as CSV columns ("name: ..."), not as JSON pointers ("/name: ...").
        self.pointers = pointers
        self.items: list[Problem] = []

    def __len__(self) -> int:
        return len(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)

    def add(self, line: int, detail: str, *, pointer: str = "") -> None:
        self.items.append(Problem(line, detail, pointer))

    def add_invalid(self, line: int, exc: ValidationError) -> None:
        """Every message of a marshmallow error, each with the pointer to its field."""
        for error in pointer_errors(exc.messages):
            self.add(line, error["detail"], pointer=error["pointer"])

    def check(self, line: int, validator: Validator, fields: dict) -> Any:
        """What `validator` makes of a record's fields, or None once its problems are added."""
        load = validator.load if isinstance(validator, Schema) else validator
        try:
            return load(fields)
        except ValidationError as exc:
            self.add_invalid(line, exc)
            return None

    def lines(self) -> list[str]:
        """'line N: field: message', by line (in the order found within a line)."""
        out = []
        for p in sorted(self.items, key=lambda p: p.line):
            where = p.pointer if self.pointers else p.pointer.lstrip("/")
            out.append(f"line {p.line}: {where}: {p.detail}" if where else f"line {p.line}: {p.detail}")
        return out

    def fail_if_any(self, path: str) -> None:
        """If anything was found: list it on stderr and exit 1 saying nothing was written."""
        if not self.items:
            return
        lines = self.lines()
        for text in lines[:MAX_SHOWN]:
            note(text)
        if len(lines) > MAX_SHOWN:
            note(f"... and {len(lines) - MAX_SHOWN} more problem(s) not shown.")
        raise AdminError(f"{len(lines)} problem(s) in {path}; nothing was written.")


@dataclass
class Record:
    line: int  # physical line where it starts (a CSV header is line 1)
    fields: dict  # CSV: column -> trimmed cell, empty cells left out (absent); JSON Lines: the object


@dataclass
class Source:
    format: str  # "csv" or "jsonl"
    records: list[Record]
    problems: Problems  # what was found while reading: extra cells, lines that are not JSON objects...


@dataclass
class Valid:
    line: int
    value: Any  # what the validator made of the record


def read_text(path: str) -> str:
    """A UTF-8 text file (a byte-order mark is dropped), or exit 1 saying why it cannot be read."""
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AdminError(f"{path}: not UTF-8 text (bad byte at offset {exc.start}).") from None
    except OSError as exc:
        raise AdminError(f"{path}: {exc.strerror}.") from None


def format_of(path: str, csv_ok: bool = True) -> str:
    """'csv' or 'jsonl', from the file name's extension; exit 1 if it says neither."""
    known = {suffix: kind for suffix, kind in FORMATS.items() if csv_ok or kind != "csv"}
    kind = known.get(Path(path).suffix.lower())
    if kind is None:
        *rest, last = known
        raise AdminError(f"{path}: cannot tell the format from the file name; name it {', '.join(rest)} or {last}.")
    return kind


def csv_cells(path: str, text: str) -> Iterator[tuple[int, list[str]]]:
    """(physical line where it starts, cells) per non-blank CSV record; exit 1 on malformed CSV."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise AdminError(f"{path}: line {start}: malformed CSV: {exc}.") from None
        if any(c.strip() for c in cells):
            yield start, cells


def csv_header(path: str, cells: list[str], columns: Columns) -> list[str]:
    """The column each header cell names, or exit 1 naming every problem of the header at once."""
    allowed = columns.required + columns.optional
    names, entries, unknown = [], set(), []
    for cell in cells:
        try:
            name, entry = columns.column(cell)
        except UnknownColumn as exc:
            unknown.append(f"{cell.strip()!r} ({exc})")
            continue
        if entry not in allowed:
            unknown.append(repr(cell.strip()))
            continue
        names.append(name)
        entries.add(entry)
    problems = []
    if unknown:
        problems.append(f"unknown column(s) {', '.join(unknown)}")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        problems.append(f"repeated column(s) {', '.join(repeated)}")
    missing = [f"{c} ({columns.notes[c]})" if c in columns.notes else c for c in columns.required if c not in entries]
    if missing:
        problems.append(f"missing required column(s) {', '.join(missing)}")
    if problems:
        raise AdminError(f"{path}: line 1: bad header: {'; '.join(problems)}. {columns.hint()}")
    return names


def csv_records(path: str, text: str, columns: Columns, problems: Problems, items: str) -> list[Record]:
    """The records after a valid header; a record with too many (or too few) cells is a problem."""
    lines = csv_cells(path, text)
    first = next(lines, None)
    if first is None:
        raise AdminError(f"{path}: the file is empty; expected a header line. {columns.hint()}")
    if first[0] != 1:
        raise AdminError(f"{path}: line {first[0]}: the header must be on line 1.")
    names = csv_header(path, first[1], columns)
    records, width, seen = [], len(names), False
    for line, cells in lines:
        seen = True
        if len(cells) > width or (columns.exact_width and len(cells) < width):
            problems.add(line, f"expected {width} columns, found {len(cells)}")
            continue
        records.append(Record(line, {n: c.strip() for n, c in zip(names, cells) if c.strip()}))
    if not seen:
        raise AdminError(f"{path}: only a header, no {items} to import.")
    return records


def jsonl_records(text: str, problems: Problems, item: str) -> list[Record]:
    """(line, object) per non-blank line; a line that is not a JSON object is a problem."""
    records = []
    # Only "\n" ends a line: JSON strings may hold U+2028 and friends, which splitlines() splits on.
    for line, raw in enumerate(text.split("\n"), start=1):
        if not raw.strip():
            continue
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            problems.add(line, f"not valid JSON: {exc.msg} (column {exc.colno})")
            continue
        if isinstance(value, dict):
            records.append(Record(line, value))
        else:
            problems.add(line, f"must be a JSON object (one {item} per line)")
    return records


def read(path: str, *, columns: Columns | None = None, format: str | None = None, item: str = "record",
         items: str = "records", pointers: bool = True) -> Source:
    """Every record of a CSV (needs `columns`) or JSON Lines file; `format` None: by the extension.

    `item`/`items` name what a record is in messages ("one listing per line", "no listings to
    import"); `pointers` says how problems name fields (see Problems).
    """
    kind = format or format_of(path, csv_ok=columns is not None)
    if kind not in ("csv", "jsonl") or (kind == "csv" and columns is None):
        raise ValueError(f"cannot read {kind!r} with columns={columns!r}")
    text = read_text(path)
    problems = Problems(pointers=pointers)
    if kind == "csv":
        records = csv_records(path, text, columns, problems, items)
    else:
        records = jsonl_records(text, problems, item)
        if not records and not problems:
            raise AdminError(f"{path}: no {items} to import.")
    return Source(kind, records, problems)


def load(path: str, validator: Validator, **options: Any) -> tuple[list[Valid], Problems]:
    """Every valid record of the file (see `read` for the options), and every problem found.

    Call `problems.fail_if_any(path)` before writing anything (after the feature's own checks).
    """
    source = read(path, **options)
    valid = []
    for record in source.records:
        value = source.problems.check(record.line, validator, record.fields)
        if value is not None:
            valid.append(Valid(record.line, value))
    return valid, source.problems
