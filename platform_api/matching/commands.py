"""platform-admin fx: load the dated FX rates that suggestions use to compare prices and tickets."""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal, InvalidOperation

import click

from ..api.schemas import is_currency
from ..audit.services import record
from ..cli import (
    AdminContext, AdminError, AdminGroup, csv_records, emit, json_option, note, pass_admin, read_text_file, table,
)
from . import fx

COLUMNS = ("date", "base", "quote", "rate")
MAX_SHOWN_ERRORS = 200


@click.group(cls=AdminGroup)
def fx_group() -> None:
    """FX rates for comparing asking prices with investors' tickets."""


def _row(cells: dict) -> tuple[tuple | None, list[str]]:
    """One CSV record as (date, base, quote, rate), or its problems."""
    problems = []
    try:
        day = date.fromisoformat(cells["date"])
        if len(cells["date"]) != 10:
            raise ValueError
    except ValueError:
        day = None
        problems.append(f"date: {cells['date']!r} is not a date YYYY-MM-DD")
    base, quote = cells["base"].upper(), cells["quote"].upper()
    for name, code in (("base", base), ("quote", quote)):
        if not is_currency(code):
            problems.append(f"{name}: {cells[name]!r} is not an ISO 4217 currency code")
    if base == quote and is_currency(base):
        problems.append("quote: must differ from base")
    try:
        rate = Decimal(cells["rate"])
        if not rate.is_finite() or rate <= 0 or rate >= Decimal("1e12"):
            raise InvalidOperation
        if rate.as_tuple().exponent < -10:
            problems.append(f"rate: {cells['rate']!r} has more than 10 decimals")
    except InvalidOperation:
        problems.append(f"rate: {cells['rate']!r} is not a positive decimal number such as 0.1288")
        rate = None
    return ((day, base, quote, rate) if not problems else None), problems


def read_rates(path: str) -> tuple[list[tuple], list[tuple[int, str]]]:
    """Every record of a rates CSV, validated: (rows, (line, problem) errors)."""
    records = [(line, [c.strip() for c in cells]) for line, cells in csv_records(path, read_text_file(path))]
    if not records:
        raise AdminError(f"{path}: the file is empty; expected a header line: {','.join(COLUMNS)}.")
    line, header = records[0]
    if line != 1 or [h.lower() for h in header] != list(COLUMNS):
        raise AdminError(f"{path}: line {line}: the header must be exactly: {','.join(COLUMNS)}.")
    if len(records) == 1:
        raise AdminError(f"{path}: only a header, no rates to load.")
    rows, errors, seen = [], [], {}
    for line, cells in records[1:]:
        if len(cells) != len(COLUMNS):
            errors.append((line, f"expected {len(COLUMNS)} columns, found {len(cells)}"))
            continue
        row, problems = _row(dict(zip(COLUMNS, cells)))
        errors.extend((line, p) for p in problems)
        if row is None:
            continue
        key = row[:3]
        if key in seen:
            errors.append((line, f"the {key[1]}/{key[2]} rate of {key[0].isoformat()} is also on line {seen[key]}"))
            continue
        seen[key] = line
        rows.append(row)
    return rows, errors


@fx_group.command("load", epilog="The CSV file is UTF-8 with the header date,base,quote,rate on line 1; "
                  "each record says 1 base = rate quote on that date (2026-11-01,CNY,EUR,0.1288). "
                  "A rate already loaded for the same date and pair is replaced. "
                  "Nothing is written unless every row is valid.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--dry-run", is_flag=True, help="Only validate the file; write nothing.")
@json_option
@pass_admin
def load(admin: AdminContext, file: str, dry_run: bool, as_json: bool) -> None:
    """Load dated FX rates from a CSV file: all rows or none."""
    rows, errors = read_rates(file)
    if errors:
        for line, message in sorted(errors)[:MAX_SHOWN_ERRORS]:
            note(f"line {line}: {message}")
        if len(errors) > MAX_SHOWN_ERRORS:
            note(f"... and {len(errors) - MAX_SHOWN_ERRORS} more")
        raise AdminError(f"{len(errors)} problem(s) in {file}; nothing was written.")
    if dry_run:
        emit(as_json, {"valid": len(rows), "inserted": 0, "replaced": 0, "dry_run": True},
             f"{len(rows)} rates valid, nothing written (dry run).")
        return
    with admin.transaction() as session:
        inserted, replaced = fx.load(session, rows)
        pairs = sorted({f"{b}/{q}" for _d, b, q, _r in rows})
        record(session=session, action="fx.load", target_type="fx_rates", target_id=None,
               details={"file": os.path.basename(file), "rows": len(rows), "inserted": inserted,
                        "replaced": replaced, "pairs": pairs[:50]})
    emit(as_json, {"valid": len(rows), "inserted": inserted, "replaced": replaced, "pairs": pairs},
         f"Loaded {len(rows)} rates from {file}: {inserted} new, {replaced} replaced, "
         f"{len(rows) - inserted - replaced} unchanged ({', '.join(pairs[:10])}{'...' if len(pairs) > 10 else ''}).")


@fx_group.command("list")
@json_option
@pass_admin
def list_rates(admin: AdminContext, as_json: bool) -> None:
    """The newest rate of every currency pair loaded."""
    with admin.transaction(write=False) as session:
        rates = fx.all_latest(session)
    data = [{"base": r.base, "quote": r.quote, "rate": fx.number(r.rate), "date": r.on.isoformat()} for r in rates]
    text = (table(("base", "quote", "rate", "date"), [(d["base"], d["quote"], d["rate"], d["date"]) for d in data])
            if data else "No FX rates loaded.")
    emit(as_json, data, text)
