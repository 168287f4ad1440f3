"""Explained scores of a listing for an investor profile: one factor each, each with its reason.

Pure functions over plain facts (no database): the same code scores both directions, and every
reason is built from the very values that produced its score, so that reasons are true.

The total is the weighted mean over the factors whose score is known: a factor that cannot be
judged (no asking price, no FX rate, a profile without keywords) is reported with score null and
left out of both sums, never counted as zero.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from ..investors.terms import is_term
from ..technologies.search import tokens
from .fx import Rate, convert, money

TRL_STEP = 0.5  # each TRL level outside the profile's range costs half the factor
TEXT_SATURATION = 3.0  # this much weighted overlap (three shared keyword terms) scores 1.0
MAX_SHOWN_TERMS = 10


@dataclass(frozen=True)
class Listing:
    id: str
    field: str
    trl: int
    deal_types: list
    price_amount: Decimal | None
    price_currency: str | None
    origin_country: str
    countries_available: list
    terms: frozenset


@dataclass(frozen=True)
class Mandate:
    id: str
    fields: list
    trl_min: int
    trl_max: int
    ticket_min: Decimal
    ticket_max: Decimal
    ticket_currency: str
    countries: list
    deal_types: list
    keywords: list
    terms: dict

    @cached_property
    def total_weight(self) -> float:
        return sum(self.terms.values())

    @cached_property
    def keyword_terms(self) -> list[tuple[str, list[str]]]:
        """(keyword, its terms): computed once per profile, however many listings it is compared with."""
        return [(kw, [tok for tok in tokens(kw) if is_term(tok)]) for kw in self.keywords]


@dataclass(frozen=True)
class Factor:
    """One criterion's score, weight and reason; a costly reason is a callable, run only when shown."""

    factor: str
    score: float | None
    weight: float
    explain: str | Callable[[], str]

    @property
    def reason(self) -> str:
        return self.explain() if callable(self.explain) else self.explain


def listing_terms(title: dict | None, keywords: list | None, summary: dict | None,
                  ipc: list | None = None) -> frozenset:
    """Every search token of a listing's title, keywords, IPC classes and summary, in all its languages.

    The same terms as the full-text index holds (technologies.search.document_parts).
    """
    out: set[str] = {code.split(" ")[0].lower() for code in ipc or ()}
    for part in (title or {}).values(), keywords or (), (summary or {}).values():
        for text in part:
            out.update(tokens(str(text)))
    return frozenset(out)


def _names(values) -> str:
    return ", ".join(values)


def field_factor(t: Listing, m: Mandate, weight: float) -> Factor:
    if t.field in m.fields:
        return Factor("field", 1.0, weight, f"{t.field} is one of the profile's fields ({_names(m.fields)})")
    return Factor("field", 0.0, weight, f"{t.field} is not among the profile's fields ({_names(m.fields)})")


def trl_factor(t: Listing, m: Mandate, weight: float) -> Factor:
    span = f"the profile's range {m.trl_min}-{m.trl_max}"
    if m.trl_min <= t.trl <= m.trl_max:
        return Factor("trl", 1.0, weight, f"TRL {t.trl} is inside {span}")
    below = t.trl < m.trl_min
    gap = m.trl_min - t.trl if below else t.trl - m.trl_max
    levels = "1 level" if gap == 1 else f"{gap} levels"
    score = max(0.0, 1.0 - TRL_STEP * gap)
    return Factor("trl", score, weight, f"TRL {t.trl} is {levels} {'below' if below else 'above'} {span}")


def price_factor(t: Listing, m: Mandate, weight: float, rates: dict[tuple[str, str], Rate]) -> Factor:
    if t.price_amount is None:
        return Factor("price", None, weight, "The listing gives no asking price (negotiable)")
    conversion = None
    if t.price_currency == m.ticket_currency:
        price = t.price_amount
    else:
        conversion = convert(t.price_amount, t.price_currency, m.ticket_currency, rates)
        if conversion is None:
            return Factor("price", None, weight, f"No {t.price_currency}/{m.ticket_currency} rate loaded")
        price = conversion.converted

    def explain(where: str) -> Callable[[], str]:
        def reason() -> str:
            said = conversion.describe() if conversion else money(t.price_amount, t.price_currency)
            ticket = f"the ticket range {m.ticket_min:,.2f}-{m.ticket_max:,.2f} {m.ticket_currency}"
            return f"Asking price {said}, {where.format(ticket=ticket)}"
        return reason

    if m.ticket_min <= price <= m.ticket_max:
        return Factor("price", 1.0, weight, explain("inside {ticket}"))
    # Percentages are rounded down, so that "100%" or "0% over" never describes a price outside the range.
    if price > m.ticket_max:
        over = _percent((price / m.ticket_max - 1) * 100)
        return Factor("price", _round_down(float(m.ticket_max / price)), weight,
                      explain(f"above {{ticket}} ({over} over the maximum)"))
    share = _percent(price / m.ticket_min * 100)
    return Factor("price", _round_down(float(price / m.ticket_min)), weight,
                  explain(f"below {{ticket}} ({share} of the minimum)"))


def _percent(value: Decimal) -> str:
    return "less than 1%" if value < 1 else f"{int(value)}%"


def country_factor(t: Listing, m: Mandate, weight: float) -> Factor:
    if not m.countries:
        return Factor("country", 1.0, weight,
                      f"The profile is open to every country (the technology originates in {t.origin_country})")
    wanted = _names(m.countries)
    if t.origin_country in m.countries:
        return Factor("country", 1.0, weight,
                      f"The technology originates in {t.origin_country}, one of the profile's countries ({wanted})")
    offered = [c for c in t.countries_available if c in m.countries]
    if offered:
        return Factor("country", 0.5, weight,
                      f"The technology originates in {t.origin_country} but is offered in {_names(offered)}, "
                      f"among the profile's countries ({wanted})")
    where = f" and is offered in {_names(t.countries_available)}" if t.countries_available else ""
    return Factor("country", 0.0, weight,
                  f"The technology originates in {t.origin_country}{where}; "
                  f"none is among the profile's countries ({wanted})")


def deal_type_factor(t: Listing, m: Mandate, weight: float) -> Factor:
    both = [d for d in t.deal_types if d in m.deal_types]
    if both:
        return Factor("deal_type", 1.0, weight, f"The listing offers {_names(both)}, which the profile does")
    return Factor("deal_type", 0.0, weight,
                  f"The listing offers {_names(t.deal_types)}; the profile does {_names(m.deal_types)}")


def shown_terms(m: Mandate, shared: set[str]) -> list[str]:
    """Shared terms as people read them: whole keywords when all their terms are shared, then the rest."""
    out, covered = [], set()
    for keyword, terms in m.keyword_terms:
        if terms and all(tok in shared for tok in terms):
            out.append(keyword)
            covered.update(terms)
    rest = sorted(shared - covered, key=lambda tok: (-m.terms.get(tok, 0), tok))
    return out + rest


def text_factor(t: Listing, m: Mandate, weight: float) -> Factor:
    total = m.total_weight
    if not total:
        return Factor("text", None, weight, "The profile has no keywords or description to compare")
    shared = {tok for tok in m.terms if tok in t.terms}
    if not shared:
        return Factor("text", 0.0, weight,
                      "No terms in common between the profile's keywords and description and the listing's "
                      "title, keywords, IPC classes and summary")
    matched = sum(m.terms[tok] for tok in shared)
    score = _round(min(1.0, matched / min(total, TEXT_SATURATION)))

    def reason() -> str:
        shown = shown_terms(m, shared)
        more = f" and {len(shown) - MAX_SHOWN_TERMS} more" if len(shown) > MAX_SHOWN_TERMS else ""
        return f"Terms in common: {', '.join(shown[:MAX_SHOWN_TERMS])}{more}"

    return Factor("text", score, weight, reason)


def _round(value: float) -> float:
    return round(value, 4)


def _round_down(value: float) -> float:
    """Four decimals, rounded down: a price outside the ticket range never shows a score of 1."""
    return math.floor(value * 10000) / 10000


def score(t: Listing, m: Mandate, weights: dict[str, float],
          rates: dict[tuple[str, str], Rate]) -> tuple[float, list[Factor]]:
    """(total 0..1, factors): the weighted mean of the known factors."""
    factors = [
        field_factor(t, m, weights["field"]),
        trl_factor(t, m, weights["trl"]),
        price_factor(t, m, weights["price"], rates),
        country_factor(t, m, weights["country"]),
        deal_type_factor(t, m, weights["deal_type"]),
        text_factor(t, m, weights["text"]),
    ]
    known = [f for f in factors if f.score is not None]
    weight = sum(f.weight for f in known)
    total = sum(f.weight * f.score for f in known) / weight if weight else 0.0
    # 1 means every counted factor is fully met; rounding must not make a near-miss look perfect.
    perfect = all(f.score == 1.0 for f in known if f.weight)
    return (1.0 if perfect and weight else min(_round(total), 0.9999)), factors
