"""Platform figures as an operator reports them: listings, introductions, deals (count and amount)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import extract, func, select
from sqlalchemy.orm import Session

from .. import disclosure
from ..api.representations import Money, money
from ..technologies.models import FIELDS, Technology
from .models import STATUSES, Match


def listings_section(*, session: Session) -> dict:
    """Published listings by field (every field, zeros included) and how many were transacted."""
    counts = dict(
        session.execute(
            select(Technology.field, func.count()).where(Technology.status == "published").group_by(Technology.field)
        ).all()
    )
    transacted = session.scalar(select(func.count()).select_from(Technology).where(Technology.status == "transacted"))
    return {
        "published": sum(counts.values()),
        "transacted": transacted or 0,
        "published_by_field": [{"field": f, "count": counts.get(f, 0)} for f in FIELDS],
    }


def matches_section(*, session: Session) -> dict:
    """Introductions by status (every status, zeros included). Matches are confidential to their
    two sides: small counts are hidden by the disclosure rule (platform_api/disclosure.py)."""
    counts = dict(session.execute(select(Match.status, func.count()).group_by(Match.status)).all())
    total, cells = disclosure.breakdown(sum(counts.values()), [counts.get(s, 0) for s in STATUSES])
    return {"total": total, "by_status": [{"status": s, "count": n} for s, n in zip(STATUSES, cells)]}


def _totals(by_currency: dict[str, Decimal]) -> list[Money]:
    return [money(amount, currency) for currency, amount in sorted(by_currency.items())]


def deals_section(*, session: Session) -> dict:
    """Closed deals: count and total amount per currency, overall, by year, and by year, field and deal type."""
    year = extract("year", Match.signed_on)
    stmt = (
        select(year, Technology.field, Match.deal_type, Match.currency, func.count(), func.sum(Match.amount))
        .join(Technology, Technology.id == Match.technology_id)
        .where(Match.status == "deal_closed")
        .group_by(year, Technology.field, Match.deal_type, Match.currency)
    )
    overall: dict = {"count": 0, "totals": defaultdict(Decimal)}
    years: dict = defaultdict(lambda: {"count": 0, "totals": defaultdict(Decimal)})
    groups: dict = defaultdict(lambda: {"count": 0, "totals": defaultdict(Decimal)})
    for y, field, deal_type, currency, count, amount in session.execute(stmt):
        amount = Decimal(amount).quantize(Decimal("0.01"))
        for bucket in (overall, years[int(y)], groups[(int(y), field, deal_type)]):
            bucket["count"] += count
            bucket["totals"][currency] += amount
    # The disclosure rule (two levels: years, and groups within a year); where a count is hidden,
    # so are its amounts (one deal's price is its parties' secret).
    count, hidden_years, hidden_groups = disclosure.two_levels(
        overall["count"], {y: b["count"] for y, b in years.items()}, {k: b["count"] for k, b in groups.items()}
    )
    return {
        "count": count,
        "totals": _totals(overall["totals"]) if count is not None else None,
        "by_year": [_cell({"year": y}, years[y], y in hidden_years) for y in sorted(years)],
        "by_year_field_deal_type": [
            _cell({"year": y, "field": f, "deal_type": d}, groups[(y, f, d)], (y, f, d) in hidden_groups)
            for (y, f, d) in sorted(groups)
        ],
    }


def _cell(keys: dict, bucket: dict, hidden: bool) -> dict:
    if hidden:
        return {**keys, "count": None, "totals": None}
    return {**keys, "count": bucket["count"], "totals": _totals(bucket["totals"])}
