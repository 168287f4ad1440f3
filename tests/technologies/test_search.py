import pytest

from tests.factories.members import MemberFactory
from tests.factories.technologies import make_technology

from .test_views import member_token


def titles(resp):
    assert resp.status_code == 200, resp.json
    return [t["title"].get("en") or next(iter(t["title"].values())) for t in resp.json["data"]]


@pytest.fixture
def catalogue():
    uni = MemberFactory(name="Zhejiang University", country="CN")
    lab = MemberFactory(name="CNRS Innovation", country="FR")
    make_technology(uni, title={"en": "EUV photoresist formulation", "zh": "半导体光刻胶配方"},
                    summary={"zh": "用于半导体光刻技术的高分辨率光刻胶。"}, keywords=["光刻", "photoresist"],
                    field="next_gen_it", trl=5, ipc=["G03F 7/004"], deal_types=["exclusive_license"],
                    asking_price={"amount": "800000.00", "currency": "CNY"}, origin_country="CN",
                    ip_rights=[{"kind": "invention_patent", "number": "ZL202010123456.1", "office": "CN", "status": "granted"}])
    make_technology(lab, title={"fr": "Procédé de recyclage de composites carbone", "en": "Carbon composite recycling"},
                    summary={"fr": "Récupération des fibres de carbone par solvolyse à basse température."},
                    keywords=["recyclage", "matériaux"], field="new_materials", trl=7, ipc=["C08J 11/04"],
                    deal_types=["joint_development", "non_exclusive_license"], asking_price=None, origin_country="FR",
                    ip_rights=[{"kind": "invention_patent", "number": "EP3456789", "office": "EP", "status": "granted"}])
    make_technology(uni, title={"en": "Sodium-ion battery cathode", "zh": "钠离子电池正极材料"},
                    summary={"en": "Layered oxide cathode for low-cost batteries."}, keywords=["battery"],
                    field="new_energy", trl=8, deal_types=["assignment"], asking_price={"amount": "3000000.00", "currency": "CNY"})
    make_technology(uni, status="draft", title={"en": "Secret battery draft", "zh": "电池草稿"}, field="new_energy")
    return uni, lab


def test_two_character_chinese_term_matches_inside_longer_words(client, catalogue):
    _me, h = member_token()
    assert titles(client.get("/v1/technologies?q=光刻", headers=h)) == ["EUV photoresist formulation"]
    assert titles(client.get("/v1/technologies?q=半导体光刻", headers=h)) == ["EUV photoresist formulation"]
    assert titles(client.get("/v1/technologies?q=钠离子", headers=h)) == ["Sodium-ion battery cathode"]


def test_french_with_or_without_accents_and_english_prefixes(client, catalogue):
    _me, h = member_token()
    assert titles(client.get("/v1/technologies?q=procédé recyclage", headers=h)) == ["Carbon composite recycling"]
    assert titles(client.get("/v1/technologies?q=materiaux", headers=h)) == ["Carbon composite recycling"]
    assert titles(client.get("/v1/technologies?q=BATTER", headers=h)) == ["Sodium-ion battery cathode"]
    assert titles(client.get("/v1/technologies?q=photoresist formulation", headers=h)) == ["EUV photoresist formulation"]
    assert titles(client.get("/v1/technologies?q=quantum", headers=h)) == []


def test_other_members_drafts_never_appear_in_search(client, catalogue):
    uni, _lab = catalogue
    _me, h = member_token()
    assert "Secret battery draft" not in titles(client.get("/v1/technologies?q=battery", headers=h))
    assert "Secret battery draft" not in titles(client.get("/v1/technologies?q=电池", headers=h))
    assert client.get(f"/v1/technologies?owner={uni.id}&status=draft", headers=h).json["data"] == []


def test_owner_finds_own_drafts(client):
    owner, h = member_token()
    make_technology(owner, status="draft", title={"en": "Graphene heat spreader"})
    assert titles(client.get("/v1/technologies?q=graphene", headers=h)) == ["Graphene heat spreader"]
    assert titles(client.get("/v1/technologies?status=draft", headers=h)) == ["Graphene heat spreader"]
    assert titles(client.get("/v1/technologies?status=published", headers=h)) == []


def test_title_matches_rank_above_summary_matches(client):
    _me, h = member_token()
    make_technology(title={"en": "Membrane filter"}, summary={"en": "Used in hydrogen electrolysers and water treatment."})
    make_technology(title={"en": "Hydrogen electrolyser stack"}, summary={"en": "A PEM stack."})
    assert titles(client.get("/v1/technologies?q=hydrogen", headers=h))[0] == "Hydrogen electrolyser stack"
    newest = titles(client.get("/v1/technologies?q=hydrogen&sort=newest", headers=h))
    assert newest == ["Hydrogen electrolyser stack", "Membrane filter"]


def test_filters(client, catalogue):
    uni, lab = catalogue
    _me, h = member_token()
    get = lambda qs: titles(client.get(f"/v1/technologies?{qs}", headers=h))  # noqa: E731
    assert get("field=new_materials") == ["Carbon composite recycling"]
    assert set(get("trl_min=6")) == {"Carbon composite recycling", "Sodium-ion battery cathode"}
    assert get("trl_min=5&trl_max=5") == ["EUV photoresist formulation"]
    assert get("deal_type=joint_development") == ["Carbon composite recycling"]
    assert get("office=EP") == ["Carbon composite recycling"]
    assert get("country=FR") == ["Carbon composite recycling"]
    assert set(get(f"owner={uni.id}")) == {"EUV photoresist formulation", "Sodium-ion battery cathode"}
    assert get("price_max=1000000&currency=CNY") == ["EUV photoresist formulation"]
    assert get("price_max=1000000&currency=EUR") == []
    assert get("q=battery&field=new_energy&trl_min=8") == ["Sodium-ion battery cathode"]


def test_bad_search_parameters_are_400(client):
    _me, h = member_token()
    for qs, param in [("trl_min=0", "trl_min"), ("trl_min=7&trl_max=3", "trl_min"), ("price_max=100", "currency"),
                      ("price_max=-5&currency=CNY", "price_max"), ("price_max=abc&currency=CNY", "price_max"),
                      ("currency=CNY", "price_max"), ("sort=relevance", "sort"), ("sort=price", "sort"),
                      ("deal_type=sale", "deal_type"), ("office=X1", "office"), ("owner=someone", "owner"),
                      ("mine=maybe", "mine"), ("q=" + "x" * 201, "q")]:
        resp = client.get(f"/v1/technologies?{qs}", headers=h)
        assert resp.status_code == 400, qs
        assert param in [e["parameter"] for e in resp.json["errors"]], (qs, resp.json)


def test_punctuation_only_query_finds_nothing_rather_than_failing(client, catalogue):
    _me, h = member_token()
    for q in ("%22", "*", "AND", "'", "NEAR(", "%5C"):
        resp = client.get(f"/v1/technologies?q={q}", headers=h)
        assert resp.status_code == 200, q


def test_relevance_pages_cover_every_match_once(client):
    owner = MemberFactory()
    for i in range(7):
        make_technology(owner, title={"en": f"Perovskite solar cell variant {i}"})
    _me, h = member_token()
    seen, url = [], "/v1/technologies?q=perovskite&limit=3"
    while url:
        resp = client.get(url, headers=h)
        seen += titles(resp)
        cursor = resp.json["next_cursor"]
        url = f"/v1/technologies?q=perovskite&limit=3&cursor={cursor}" if cursor else None
    assert sorted(seen) == sorted(f"Perovskite solar cell variant {i}" for i in range(7))
    first = client.get("/v1/technologies?q=perovskite&limit=3", headers=h).json["next_cursor"]
    assert client.get(f"/v1/technologies?q=solar&limit=3&cursor={first}", headers=h).status_code == 400
    _other, other_h = member_token()
    assert client.get(f"/v1/technologies?q=perovskite&limit=3&cursor={first}", headers=other_h).status_code == 400
