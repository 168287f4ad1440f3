"""Issue 4, done means: a university and a fund find each other through suggestions whose reasons
are true, go from a proposal to a closed deal with a recordal, and /v1/stats counts it."""

from platform_api.technologies import services as technologies
from tests.cli.helpers import Cli
from tests.factories.matching import token_for
from tests.factories.members import MemberFactory
from tests.factories.technologies import technology_body


def by_factor(item):
    return {f["factor"]: f for f in item["factors"]}


def test_a_university_and_a_fund_close_a_deal(app, client, db_session, tmp_path):
    uni = MemberFactory(kind="university", name="Zhejiang University", country="CN")
    fund = MemberFactory(kind="investor", name="Rhine Energy Ventures", country="DE")
    uni_h, fund_h = token_for(uni), token_for(fund)
    stats_before = client.get("/v1/stats", headers=uni_h).json

    # The university lists its patent; staff publish it.
    created = client.post("/v1/technologies", headers={**uni_h, "Idempotency-Key": "listing-1"}, json=technology_body(
        title={"en": "Solid-state lithium battery electrolyte", "zh": "固态锂电池电解质"},
        keywords=["solid-state battery", "electrolyte"], trl=6, field="new_energy",
        deal_types=["assignment", "exclusive_license"], asking_price={"amount": "2500000.00", "currency": "CNY"},
        origin_country="CN", countries_available=["CN", "DE"]))
    assert created.status_code == 201, created.json
    tech_id = created.json["id"]
    assert client.post(f"/v1/technologies/{tech_id}/submit", headers=uni_h).status_code == 200
    technologies.transition(session=db_session, tech=technologies.get(session=db_session, technology_id=tech_id),
                            action="approve")

    # The fund states its mandate in euros; an admin loads the CNY/EUR rate.
    profile = client.post("/v1/investor-profiles", headers={**fund_h, "Idempotency-Key": "mandate-1"}, json={
        "name": "Energy storage, early growth",
        "description": {"en": "Battery technologies from China and Europe.", "zh": "中国和欧洲的电池技术。"},
        "fields": ["new_energy", "green_low_carbon"], "trl_min": 5, "trl_max": 8,
        "ticket_min": {"amount": "100000.00", "currency": "EUR"},
        "ticket_max": {"amount": "500000.00", "currency": "EUR"},
        "countries": ["CN", "DE"], "deal_types": ["assignment", "equity_investment"],
        "keywords": ["solid-state battery", "固态电池"]})
    assert profile.status_code == 201, profile.json
    profile_id = profile.json["id"]
    rates = tmp_path / "rates.csv"
    rates.write_text("date,base,quote,rate\n2026-11-01,CNY,EUR,0.1288\n", encoding="utf-8")
    Cli(app).ok("fx", "load", str(rates))

    # Each finds the other, with reasons that hold.
    listings = client.get(f"/v1/investor-profiles/{profile_id}/suggested-technologies", headers=fund_h)
    [found] = [i for i in listings.json["data"] if i["technology"]["id"] == tech_id]
    reasons = {k: f["reason"] for k, f in by_factor(found).items()}
    assert reasons == {
        "field": "new_energy is one of the profile's fields (new_energy, green_low_carbon)",
        "trl": "TRL 6 is inside the profile's range 5-8",
        "price": "Asking price 2,500,000.00 CNY = 322,000.00 EUR at 0.1288 (2026-11-01), "
                 "inside the ticket range 100,000.00-500,000.00 EUR",
        "country": "The technology originates in CN, one of the profile's countries (CN, DE)",
        "deal_type": "The listing offers assignment, which the profile does",
        "text": "Terms in common: solid-state battery, 固态, 电池",
    }
    investors = client.get(f"/v1/technologies/{tech_id}/suggested-investors", headers=uni_h)
    [mirror] = [i for i in investors.json["data"] if i["investor_profile"]["id"] == profile_id]
    assert mirror["score"] == found["score"] and mirror["factors"] == found["factors"]
    assert found["score"] > 0.9

    # The fund asks for an introduction, the university accepts, they sign and record an assignment.
    proposed = client.post("/v1/matches", headers={**fund_h, "Idempotency-Key": "intro-1"},
                           json={"technology_id": tech_id, "investor_profile_id": profile_id,
                                 "message": "We would like to acquire the CN and EP rights."})
    assert proposed.status_code == 201, proposed.json
    match_id = proposed.json["id"]
    assert client.post(f"/v1/matches/{match_id}/accept", headers=uni_h).json["status"] == "accepted"
    deal = {"outcome": "deal_closed", "deal_type": "assignment", "amount": {"amount": "2500000.00", "currency": "CNY"},
            "signed_on": "2026-11-01", "recordal": {"office": "CN", "reference": "ZL201910123456.7-TR-2026-0415",
                                                    "recorded_on": "2026-11-15"}}
    closed = client.post(f"/v1/matches/{match_id}/close", headers=fund_h, json=deal)
    assert closed.status_code == 200, closed.json
    assert closed.json["status"] == "deal_closed" and closed.json["outcome"] == deal
    assert client.get(f"/v1/technologies/{tech_id}", headers=uni_h).json["status"] == "transacted"
    assert client.get(f"/v1/matches/{match_id}", headers=uni_h).json["outcome"]["recordal"]["recorded_on"] == "2026-11-15"

    # The operator's figures count it, and since one deal is its parties' secret (the disclosure
    # rule, platform_api/disclosure.py), they show that a group has it without its count or price.
    stats = client.get("/v1/stats", headers=uni_h).json
    assert stats["listings"]["transacted"] == stats_before["listings"]["transacted"] + 1
    group = next(g for g in stats["deals"]["by_year_field_deal_type"]
                 if (g["year"], g["field"], g["deal_type"]) == (2026, "new_energy", "assignment"))
    # A group is shown only once it holds five deals or more; hidden, it shows no amount either.
    assert (group["count"] is None and group["totals"] is None) or group["count"] >= 5
    if stats_before["deals"]["count"] == 0:  # nothing committed by others in this database
        assert stats["deals"]["count"] is None and group == {
            "year": 2026, "field": "new_energy", "deal_type": "assignment", "count": None, "totals": None}
