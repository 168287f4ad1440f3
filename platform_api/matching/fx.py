"""FX rates: dated rates that admins load, and conversions that say which rate they used."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from ..db import utcnow
from .models import FxRate

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Rate:
    base: str
    quote: str
    rate: Decimal
    on: date


@dataclass(frozen=True)
class Conversion:
    amount: Decimal
    currency: str
    converted: Decimal
    to: str
    rate: Rate
    inverted: bool  # the rate loaded is to -> from, used as 1/rate

    def describe(self) -> str:
        """'2,500,000.00 CNY = 322,000.00 EUR at 0.1288 (2026-11-01)'."""
        rate, on = number(self.rate.rate), self.rate.on.isoformat()
        used = f"1/{rate} ({self.rate.base}/{self.rate.quote}, {on})" if self.inverted else f"{rate} ({on})"
        return f"{money(self.amount, self.currency)} = {money(self.converted, self.to)} at {used}"


def money(amount: Decimal, currency: str) -> str:
    return f"{amount:,.2f} {currency}"


def number(value: Decimal) -> str:
    """A rate without trailing zeros and never in exponent form."""
    return f"{value.normalize():f}"


def latest_rates(session: Session, currencies: set[str], *, on: date | None = None) -> dict[tuple[str, str], Rate]:
    """The newest rate dated on or before `on` (today) for each pair among `currencies`."""
    currencies = {c for c in currencies if c}
    if len(currencies) < 2:
        return {}
    on = on or utcnow().date()
    newest = (
        select(FxRate.base, FxRate.quote, func.max(FxRate.rate_date).label("rate_date"))
        .where(FxRate.base.in_(currencies), FxRate.quote.in_(currencies), FxRate.rate_date <= on)
        .group_by(FxRate.base, FxRate.quote)
        .subquery()
    )
    stmt = select(FxRate.base, FxRate.quote, FxRate.rate, FxRate.rate_date).join(
        newest,
        and_(FxRate.base == newest.c.base, FxRate.quote == newest.c.quote, FxRate.rate_date == newest.c.rate_date),
    )
    return {(b, q): Rate(b, q, r, d) for b, q, r, d in session.execute(stmt)}


def convert(amount: Decimal, currency: str, to: str, rates: dict[tuple[str, str], Rate]) -> Conversion | None:
    """`amount` in `to`, by the direct rate or else the inverse of the opposite one (the newer wins)."""
    direct, inverse = rates.get((currency, to)), rates.get((to, currency))
    if direct is not None and (inverse is None or direct.on >= inverse.on):
        converted = (amount * direct.rate).quantize(CENT, ROUND_HALF_UP)
        return Conversion(amount, currency, converted, to, direct, False)
    if inverse is not None:
        converted = (amount / inverse.rate).quantize(CENT, ROUND_HALF_UP)
        return Conversion(amount, currency, converted, to, inverse, True)
    return None


def load(session: Session, rows: list[tuple[date, str, str, Decimal]]) -> tuple[int, int]:
    """Store validated rates; a rate for a date and pair already loaded is replaced. (inserted, replaced)."""
    inserted = replaced = 0
    for rate_date, base, quote, rate in rows:
        existing = session.get(FxRate, (rate_date, base, quote))
        if existing is None:
            session.add(FxRate(rate_date=rate_date, base=base, quote=quote, rate=rate))
            inserted += 1
        elif existing.rate != rate:
            existing.rate = rate
            existing.loaded_at = utcnow()
            replaced += 1
    session.flush()
    return inserted, replaced


def all_latest(session: Session) -> list[Rate]:
    """The newest rate of every pair loaded (for the admin listing)."""
    newest = (
        select(FxRate.base, FxRate.quote, func.max(FxRate.rate_date).label("rate_date"))
        .group_by(FxRate.base, FxRate.quote)
        .subquery()
    )
    stmt = (
        select(FxRate.base, FxRate.quote, FxRate.rate, FxRate.rate_date)
        .join(newest, and_(FxRate.base == newest.c.base, FxRate.quote == newest.c.quote,
                           FxRate.rate_date == newest.c.rate_date))
        .order_by(FxRate.base, FxRate.quote)
    )
    return [Rate(b, q, r, d) for b, q, r, d in session.execute(stmt)]
