from tests.factories.investors import InvestorFactory, make_profile
from tests.factories.matching import make_rate, token_for
from tests.factories.members import MemberFactory
from tests.factories.technologies import make_technology

FACTORS = ["field", "trl", "price", "country", "deal_type", "text"]


def world():
    uni = MemberFactory(kind="university", name="Tsinghua University")
    fund = InvestorFactory(name="Rhine Energy Ventures", country="DE")
    tech = make_technology(uni, title={"en": "Solid-state lithium battery electrolyte", "zh": "固态锂电池电解质"}, trl=6)
    profile = make_profile(
        fund, fields=["new_energy"], trl_min=5, trl_max=8, countries=["CN", "DE"], deal_types=["assignment"],
        ticket_min={"amount": "100000.00", "currency": "EUR"}, ticket_max={"amount": "500000.00", "currency": "EUR"},
        keywords=["solid-state battery", "固态电池"], description=None,
    )
    return uni, fund, tech, profile


def factors_of(item):
    return {f["factor"]: f for f in item["factors"]}


def test_a_profile_owner_gets_listings_with_true_reasons(client):
    uni, fund, tech, profile = world()
    resp = client.get(f"/v1/investor-profiles/{profile.id}/suggested-technologies", headers=token_for(fund))
    assert resp.status_code == 200, resp.json
    [item] = [i for i in resp.json["data"] if i["technology"]["id"] == tech.id]
    f = factors_of(item)
    assert [x["factor"] for x in item["factors"]] == FACTORS
    assert f["field"]["score"] == 1.0 and f["field"]["reason"] == "new_energy is one of the profile's fields (new_energy)"
    assert f["trl"] == {"factor": "trl", "score": 1.0, "weight": 0.2, "reason": "TRL 6 is inside the profile's range 5-8"}
    assert f["price"]["score"] is None and f["price"]["reason"] == "No CNY/EUR rate loaded"
    assert f["country"]["reason"] == "The technology originates in CN, one of the profile's countries (CN, DE)"
    assert f["deal_type"]["reason"] == "The listing offers assignment, which the profile does"
    assert f["text"]["reason"] == "Terms in common: solid-state battery, 固态, 电池"
    # The total leaves the unknown price out: (0.25 + 0.2 + 0.1 + 0.15 + 0.15 * text) / 0.85.
    text = f["text"]["score"]
    assert item["score"] == round((0.25 + 0.2 + 0.1 + 0.15 + 0.15 * text) / 0.85, 4)
    assert item["technology"]["owner"]["name"] == "Tsinghua University"


def test_the_price_goes_through_the_newest_loaded_rate(client):
    _uni, fund, tech, profile = world()
    make_rate("2026-10-01", "CNY", "EUR", "0.1250")
    make_rate("2026-11-01", "CNY", "EUR", "0.1288")
    make_rate("2999-01-01", "CNY", "EUR", "9")  # not yet in force
    resp = client.get(f"/v1/investor-profiles/{profile.id}/suggested-technologies", headers=token_for(fund))
    [item] = [i for i in resp.json["data"] if i["technology"]["id"] == tech.id]
    price = factors_of(item)["price"]
    assert price["score"] == 1.0
    assert price["reason"] == ("Asking price 2,500,000.00 CNY = 322,000.00 EUR at 0.1288 (2026-11-01), "
                               "inside the ticket range 100,000.00-500,000.00 EUR")


def test_only_published_listings_of_other_active_members_are_suggested(client, db_session):
    uni, fund, tech, profile = world()
    above = make_technology(uni, trl=9)
    far = make_technology(uni, trl=2)
    draft = make_technology(uni, status="draft")
    submitted = make_technology(uni, status="submitted")
    withdrawn = make_technology(uni, status="withdrawn")
    robotics = make_technology(uni, field="robotics")
    own = make_technology(fund)
    gone = MemberFactory(status="suspended")
    suspended = make_technology(gone)
    resp = client.get(f"/v1/investor-profiles/{profile.id}/suggested-technologies", headers=token_for(fund))
    ids = [i["technology"]["id"] for i in resp.json["data"]]
    assert set(ids) == {tech.id, above.id}
    for hidden in (far, draft, submitted, withdrawn, robotics, own, suspended):
        assert hidden.id not in ids
    assert ids == [tech.id, above.id]  # TRL 9 is one level above the range: it ranks lower
    scores = [i["score"] for i in resp.json["data"]]
    assert scores == sorted(scores, reverse=True)
    trl = factors_of(resp.json["data"][1])["trl"]
    assert trl["score"] == 0.5 and trl["reason"] == "TRL 9 is 1 level above the profile's range 5-8"


def test_a_listing_owner_gets_active_profiles_only(client):
    uni, fund, tech, profile = world()
    inactive = make_profile(InvestorFactory(), fields=["new_energy"], active=False)
    elsewhere = make_profile(InvestorFactory(), fields=["biomedicine"])
    narrow = make_profile(InvestorFactory(), fields=["new_energy"], trl_min=1, trl_max=3)
    gone = make_profile(InvestorFactory(status="suspended"), fields=["new_energy"])
    resp = client.get(f"/v1/technologies/{tech.id}/suggested-investors", headers=token_for(uni))
    assert resp.status_code == 200, resp.json
    ids = [i["investor_profile"]["id"] for i in resp.json["data"]]
    assert profile.id in ids
    for hidden in (inactive, elsewhere, narrow, gone):
        assert hidden.id not in ids
    [item] = [i for i in resp.json["data"] if i["investor_profile"]["id"] == profile.id]
    assert factors_of(item)["trl"]["reason"] == "TRL 6 is inside the profile's range 5-8"
    assert item["investor_profile"]["owner"]["name"] == "Rhine Energy Ventures"
    # A fund that lists a technology is never suggested its own profiles.
    fund_tech = make_technology(fund)
    resp = client.get(f"/v1/technologies/{fund_tech.id}/suggested-investors", headers=token_for(fund))
    assert profile.id not in [i["investor_profile"]["id"] for i in resp.json["data"]]


def test_suggestions_are_for_the_owner_only(client):
    uni, fund, tech, profile = world()
    stranger = token_for(MemberFactory())
    resp = client.get(f"/v1/technologies/{tech.id}/suggested-investors", headers=stranger)
    assert resp.status_code == 403 and resp.json["type"] == "/problems/forbidden"
    resp = client.get(f"/v1/investor-profiles/{profile.id}/suggested-technologies", headers=stranger)
    assert resp.status_code == 403
    draft = make_technology(uni, status="draft")
    inactive = make_profile(fund, active=False)
    assert client.get(f"/v1/technologies/{draft.id}/suggested-investors", headers=stranger).status_code == 404
    assert client.get(f"/v1/investor-profiles/{inactive.id}/suggested-technologies", headers=stranger).status_code == 404
    # The owners preview suggestions for a draft and for an inactive profile.
    preview = client.get(f"/v1/technologies/{draft.id}/suggested-investors", headers=token_for(uni))
    assert preview.status_code == 200 and profile.id in [i["investor_profile"]["id"] for i in preview.json["data"]]
    assert client.get(f"/v1/investor-profiles/{inactive.id}/suggested-technologies", headers=token_for(fund)).status_code == 200


def test_limit_and_scopes(client):
    uni, fund, tech, profile = world()
    for _ in range(3):
        make_technology(uni)
    h = token_for(fund)
    url = f"/v1/investor-profiles/{profile.id}/suggested-technologies"
    assert len(client.get(url, headers=h).json["data"]) == 4
    assert len(client.get(f"{url}?limit=2", headers=h).json["data"]) == 2
    for bad in ("0", "101", "x"):
        resp = client.get(f"{url}?limit={bad}", headers=h)
        assert resp.status_code == 400 and resp.json["errors"][0]["parameter"] == "limit"
    assert client.get(f"{url}?cursor=abc", headers=h).status_code == 400
    assert client.get(url, headers=token_for(fund, scopes=["investors:read"])).status_code == 403
    tech_url = f"/v1/technologies/{tech.id}/suggested-investors"
    assert client.get(tech_url, headers=token_for(uni, scopes=["technologies:read"])).status_code == 403


def test_weights_come_from_the_settings(make_app):
    app = make_app(match_weights="field=0.5,text=0,price=0")
    uni, fund, tech, profile = world()
    resp = app.test_client().get(f"/v1/investor-profiles/{profile.id}/suggested-technologies", headers=token_for(fund))
    [item] = resp.json["data"]
    weights = {f["factor"]: f["weight"] for f in item["factors"]}
    assert weights == {"field": 0.5, "trl": 0.2, "price": 0.0, "country": 0.1, "deal_type": 0.15, "text": 0.0}
    assert item["score"] == 1.0  # every factor with weight is fully met


def test_listing_terms_come_from_the_search_index_or_are_tokenised(db_session):
    from sqlalchemy import text

    from platform_api.matching import scoring, suggestions

    tech = make_technology(title={"en": "Naïve Électrolyte", "zh": "固态锂电池"}, keywords=["Solid-state"],
                           summary={"en": "Sulfide", "ko": "배터리"}, ipc=["H01M 10/0562"])
    stored = suggestions.indexed_terms(db_session, [tech.id])[tech.id]
    tokenised = scoring.listing_terms(tech.title, tech.keywords, tech.summary, tech.ipc)
    assert stored == tokenised and "h01m" in stored
    assert {"naive", "electrolyte", "固态", "电池", "solid", "state", "sulfide", "배터", "터리"} <= stored
    only = suggestions.indexed_terms(db_session, [tech.id], only={"sulfide", "电池", "vaccine"})
    assert only == {tech.id: frozenset({"sulfide", "电池"})}
    db_session.execute(text("DELETE FROM technology_search WHERE technology_id = :id"), {"id": tech.id})
    assert suggestions.indexed_terms(db_session, [tech.id])[tech.id] == tokenised
    assert suggestions.indexed_terms(db_session, [tech.id], only={"sulfide"})[tech.id] == {"sulfide"}
    assert suggestions.indexed_terms(db_session, []) == {}
