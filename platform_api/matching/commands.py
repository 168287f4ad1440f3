"""platform-admin fx: load the dated FX rates that suggestions use to compare prices and tickets."""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal, InvalidOperation

import click
from marshmallow import ValidationError

from ..api.schemas import is_currency
from ..audit.services import record
from ..cli import AdminContext, AdminGroup, emit, json_option, pass_admin, table
from ..cli import imports
from . import fx

COLUMNS = ("date", "base", "quote", "rate")
COLUMNS_CSV = imports.Columns(required=COLUMNS, exact_width=True)  # a record without its four cells is refused


@click.group(cls=AdminGroup)
def fx_group() -> None:
    """FX rates for comparing asking prices with investors' tickets."""


def fx_rate(cells: dict) -> tuple[date, str, str, Decimal]:
    """One CSV record as (date, base, quote, rate); ValidationError naming every problem."""
    problems: dict[str, list[str]] = {}
    given = {name: cells.get(name, "") for name in COLUMNS}  # an empty cell is absent
    try:
        day = date.fromisoformat(given["date"])
        if len(given["date"]) != 10:
            raise ValueError
    except ValueError:
        problems["date"] = [f"{given['date']!r} is not a date YYYY-MM-DD"]
    base, quote = given["base"].upper(), given["quote"].upper()
    for name, code in (("base", base), ("quote", quote)):
        if not is_currency(code):
            problems[name] = [f"{given[name]!r} is not an ISO 4217 currency code"]
    if base == quote and is_currency(base):
        problems["quote"] = ["must differ from base"]
    try:
        rate = Decimal(given["rate"])
        if not rate.is_finite() or rate <= 0 or rate >= Decimal("1e12"):
            raise InvalidOperation
        if rate.as_tuple().exponent < -10:
            problems["rate"] = [f"{given['rate']!r} has more than 10 decimals"]
    except InvalidOperation:
        problems["rate"] = [f"{given['rate']!r} is not a positive decimal number such as 0.1288"]
    if problems:
        raise ValidationError(problems)
    return day, base, quote, rate


def read_rates(path: str) -> tuple[list[tuple], imports.Problems]:
    """Every record of a rates CSV, validated: (rows, problems)."""
    valid, problems = imports.load(path, fx_rate, columns=COLUMNS_CSV, format="csv", items="rates", pointers=False)
    rows, seen = [], {}
    for row in valid:
        key = row.value[:3]
        if key in seen:
            problems.add(row.line, f"the {key[1]}/{key[2]} rate of {key[0].isoformat()} is also on line {seen[key]}")
            continue
        seen[key] = row.line
        rows.append(row.value)
    return rows, problems


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
    rows, problems = read_rates(file)
    problems.fail_if_any(file)
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
