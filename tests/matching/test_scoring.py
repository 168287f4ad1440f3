"""The factors, one by one: each score and the reason that explains it."""

from datetime import date
from decimal import Decimal

import pytest

from platform_api.config import DEFAULT_MATCH_WEIGHTS
from platform_api.investors.terms import profile_terms
from platform_api.matching import scoring
from platform_api.matching.fx import Rate

W = DEFAULT_MATCH_WEIGHTS


def listing(**kw):
    base = dict(id="t", field="new_energy", trl=6, deal_types=["assignment", "exclusive_license"],
                price_amount=Decimal("2500000.00"), price_currency="CNY", origin_country="CN",
                countries_available=["CN", "DE"],
                terms=scoring.listing_terms({"en": "Solid-state lithium battery electrolyte", "zh": "固态锂电池电解质"},
                                            ["solid-state battery"], {"en": "A sulfide electrolyte."}))
    base.update(kw)
    return scoring.Listing(**base)


def mandate(keywords=("solid-state battery", "electrolyte"), description=None, **kw):
    base = dict(id="p", fields=["new_energy", "green_low_carbon"], trl_min=5, trl_max=8,
                ticket_min=Decimal("1000000.00"), ticket_max=Decimal("5000000.00"), ticket_currency="CNY",
                countries=["CN", "DE"], deal_types=["assignment", "equity_investment"], keywords=list(keywords),
                terms=profile_terms(list(keywords), description))
    base.update(kw)
    return scoring.Mandate(**base)


def test_field():
    f = scoring.field_factor(listing(), mandate(), 0.25)
    assert (f.score, f.weight) == (1.0, 0.25)
    assert f.reason == "new_energy is one of the profile's fields (new_energy, green_low_carbon)"
    f = scoring.field_factor(listing(field="robotics"), mandate(), 0.25)
    assert f.score == 0.0 and f.reason == "robotics is not among the profile's fields (new_energy, green_low_carbon)"


@pytest.mark.parametrize("trl, score, reason", [
    (6, 1.0, "TRL 6 is inside the profile's range 5-8"),
    (5, 1.0, "TRL 5 is inside the profile's range 5-8"),
    (4, 0.5, "TRL 4 is 1 level below the profile's range 5-8"),
    (9, 0.5, "TRL 9 is 1 level above the profile's range 5-8"),
    (2, 0.0, "TRL 2 is 3 levels below the profile's range 5-8"),
])
def test_trl(trl, score, reason):
    f = scoring.trl_factor(listing(trl=trl), mandate(), 0.2)
    assert (f.score, f.reason) == (score, reason)


def test_price_in_the_same_currency():
    inside = scoring.price_factor(listing(), mandate(), 0.15, {})
    assert inside.score == 1.0
    assert inside.reason == ("Asking price 2,500,000.00 CNY, inside the ticket range "
                             "1,000,000.00-5,000,000.00 CNY")
    above = scoring.price_factor(listing(price_amount=Decimal("10000000.00")), mandate(), 0.15, {})
    assert above.score == 0.5
    assert above.reason.endswith("above the ticket range 1,000,000.00-5,000,000.00 CNY (100% over the maximum)")
    barely = scoring.price_factor(listing(price_amount=Decimal("5000001.00")), mandate(), 0.15, {})
    assert barely.score == 0.9999 and barely.reason.endswith("(less than 1% over the maximum)")
    almost = scoring.price_factor(listing(price_amount=Decimal("999999.99")), mandate(), 0.15, {})
    assert almost.reason.endswith("(99% of the minimum)")
    below = scoring.price_factor(listing(price_amount=Decimal("250000.00")), mandate(), 0.15, {})
    assert below.score == 0.25 and below.reason.endswith("below the ticket range 1,000,000.00-5,000,000.00 CNY (25% of the minimum)")


def test_price_through_a_loaded_rate_names_the_rate():
    euro = mandate(ticket_min=Decimal("100000.00"), ticket_max=Decimal("500000.00"), ticket_currency="EUR")
    rates = {("CNY", "EUR"): Rate("CNY", "EUR", Decimal("0.1288000000"), date(2026, 11, 1))}
    f = scoring.price_factor(listing(), euro, 0.15, rates)
    assert f.score == 1.0
    assert f.reason == ("Asking price 2,500,000.00 CNY = 322,000.00 EUR at 0.1288 (2026-11-01), "
                        "inside the ticket range 100,000.00-500,000.00 EUR")
    inverse = {("EUR", "CNY"): Rate("EUR", "CNY", Decimal("7.7640"), date(2026, 10, 30))}
    f = scoring.price_factor(listing(), euro, 0.15, inverse)
    assert f.reason.startswith("Asking price 2,500,000.00 CNY = 321,998.97 EUR at 1/7.764 (EUR/CNY, 2026-10-30)")
    both = {**rates, ("EUR", "CNY"): Rate("EUR", "CNY", Decimal("8"), date(2026, 11, 2))}
    assert "at 1/8 (EUR/CNY, 2026-11-02)" in scoring.price_factor(listing(), euro, 0.15, both).reason


def test_price_unknown_without_a_rate_or_a_price():
    euro = mandate(ticket_currency="EUR")
    f = scoring.price_factor(listing(), euro, 0.15, {})
    assert f.score is None and f.reason == "No CNY/EUR rate loaded"
    f = scoring.price_factor(listing(price_amount=None, price_currency=None), mandate(), 0.15, {})
    assert f.score is None and f.reason == "The listing gives no asking price (negotiable)"


def test_country():
    f = scoring.country_factor(listing(), mandate(), 0.1)
    assert f.score == 1.0 and f.reason == "The technology originates in CN, one of the profile's countries (CN, DE)"
    f = scoring.country_factor(listing(), mandate(countries=["DE", "FR"]), 0.1)
    assert f.score == 0.5
    assert f.reason == "The technology originates in CN but is offered in DE, among the profile's countries (DE, FR)"
    f = scoring.country_factor(listing(), mandate(countries=["US"]), 0.1)
    assert f.score == 0.0
    assert f.reason == "The technology originates in CN and is offered in CN, DE; none is among the profile's countries (US)"
    f = scoring.country_factor(listing(), mandate(countries=[]), 0.1)
    assert f.score == 1.0 and f.reason.startswith("The profile is open to every country")


def test_deal_type():
    f = scoring.deal_type_factor(listing(), mandate(), 0.15)
    assert f.score == 1.0 and f.reason == "The listing offers assignment, which the profile does"
    f = scoring.deal_type_factor(listing(), mandate(deal_types=["pledge_financing"]), 0.15)
    assert f.score == 0.0
    assert f.reason == "The listing offers assignment, exclusive_license; the profile does pledge_financing"


def test_text_in_english_and_chinese_names_the_shared_terms():
    f = scoring.text_factor(listing(), mandate(), 0.15)
    assert f.score == 1.0
    assert f.reason == "Terms in common: solid-state battery, electrolyte"
    zh = mandate(keywords=["固态电池"])
    f = scoring.text_factor(listing(), zh, 0.15)
    # 固态电池 -> 固态, 态电, 电池: the listing's 固态锂电池 has 固态 and 电池, not 态电.
    assert f.reason == "Terms in common: 固态, 电池"
    assert f.score == pytest.approx(2 / 3, abs=1e-4)
    none = scoring.text_factor(listing(), mandate(keywords=["vaccine"]), 0.15)
    assert none.score == 0.0 and none.reason.startswith("No terms in common")
    blank = scoring.text_factor(listing(), mandate(keywords=[]), 0.15)
    assert blank.score is None and blank.reason == "The profile has no keywords or description to compare"


def test_description_terms_count_half_and_stop_words_not_at_all():
    m = mandate(keywords=[], description={"en": "We invest in the best electrolyte start-ups."})
    assert "the" not in m.terms and m.terms["electrolyte"] == 0.5
    f = scoring.text_factor(listing(), m, 0.15)
    assert f.reason == "Terms in common: electrolyte"
    # 5 terms of 0.5 (invest, best, electrolyte, start, ups): 0.5 shared of 2.5
    assert f.score == pytest.approx(0.5 / 2.5, abs=1e-4)


def test_total_is_the_weighted_mean_of_the_known_factors():
    euro = mandate(ticket_currency="EUR", countries=["US"])
    total, factors = scoring.score(listing(), euro, W, {})
    assert [f.factor for f in factors] == ["field", "trl", "price", "country", "deal_type", "text"]
    price = factors[2]
    assert price.score is None
    known = [f for f in factors if f.score is not None]
    expected = sum(f.weight * f.score for f in known) / sum(f.weight for f in known)
    assert total == round(expected, 4)
    # field 0.25 + trl 0.2 + country 0 + deal_type 0.15 + text 0.15 over 0.85
    assert total == round(0.75 / 0.85, 4)


def test_a_total_of_one_means_every_counted_factor_is_met():
    perfect, _ = scoring.score(listing(), mandate(), W, {})
    assert perfect == 1.0
    near, factors = scoring.score(listing(price_amount=Decimal("5000001.00")), mandate(), W, {})
    assert factors[2].score == 0.9999 and near == 0.9999
    off, _ = scoring.score(listing(), mandate(), {**W, "field": 0.0}, {})
    assert off == 1.0  # a factor weighted 0 does not count
