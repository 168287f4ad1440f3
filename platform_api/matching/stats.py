"""Platform figures as an operator reports them: listings, introductions, deals (count and amount)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from sqlalchemy import extract, func, select
from sqlalchemy.orm import Session

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
    """Introductions by status (every status, zeros included)."""
    counts = dict(session.execute(select(Match.status, func.count()).group_by(Match.status)).all())
    return {
        "total": sum(counts.values()),
        "by_status": [{"status": s, "count": counts.get(s, 0)} for s in STATUSES],
    }


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
    return {
        "count": overall["count"],
        "totals": _totals(overall["totals"]),
        "by_year": [{"year": y, "count": b["count"], "totals": _totals(b["totals"])} for y, b in sorted(years.items())],
        "by_year_field_deal_type": [
            {"year": y, "field": f, "deal_type": d, "count": b["count"], "totals": _totals(b["totals"])}
            for (y, f, d), b in sorted(groups.items())
        ],
    }
