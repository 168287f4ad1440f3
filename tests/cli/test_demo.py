"""platform-admin demo: the demo catalogue, loaded through the services, once."""

from __future__ import annotations

from sqlalchemy import select

from platform_api.config import DEFAULT_SCOPES
from platform_api.demo import catalogue
from platform_api.members.models import Member
from platform_api.technologies.models import Technology
from tests.factories.matching import token_for

from .helpers import audit_events, count


def test_demo_loads_a_multilingual_catalogue_through_the_rules(cli, fresh, client):
    summary = cli.json("demo")
    session = fresh()
    assert set(summary["members"]) == set(catalogue.MEMBERS)
    members = {m.id: m for m in session.scalars(select(Member).where(
        Member.id.in_([m["id"] for m in summary["members"].values()])))}
    assert {m.status for m in members.values()} == {"active"}
    assert len({m.kind for m in members.values()}) == 8 and len({m.country for m in members.values()}) >= 6
    listings = {t.id: t for t in session.scalars(select(Technology).where(
        Technology.id.in_([t["id"] for t in summary["technologies"].values()])))}
    assert len(listings) == len(catalogue.TECHNOLOGIES)
    assert sorted(t.status for t in listings.values()).count("submitted") == 1
    assert {lang for t in listings.values() for lang in t.title} >= {"zh", "en", "de", "ja", "ko", "fr"}
    assert all(t.ipc for t in listings.values())
    assert {t.price_currency for t in listings.values()} >= {"CNY", "EUR", "JPY", "USD", "KRW", None}
    assert summary["fx_rates"] == len(catalogue.FX_RATES)
    assert {m["status"] for m in summary["matches"].values()} == {"accepted", "deal_closed"}
    [referral] = summary["referrals"].values()
    assert referral["status"] == "acknowledged" and referral["reference"].startswith("REF-")
    [event] = audit_events(session, "demo.load")
    assert event.details["technologies"] == len(catalogue.TECHNOLOGIES)

    # What members see through the API: search in Chinese finds a Chinese listing, the index is built.
    fund = session.get(Member, summary["members"]["yangtze"]["id"])
    headers = token_for(fund, scopes=DEFAULT_SCOPES)
    found = client.get("/v1/technologies", query_string={"q": "光刻", "field": "next_gen_it"}, headers=headers)
    assert found.status_code == 200
    assert [t["id"] for t in found.json["data"]] == [summary["technologies"]["euv_resist"]["id"]]
    german = client.get("/v1/technologies", query_string={"q": "Kreislaufwirtschaft"}, headers=headers).json
    assert [t["id"] for t in german["data"]] == [summary["technologies"]["cfrp_recycling"]["id"]]
    # The listing awaiting review is its owner's alone.
    pending = summary["technologies"]["graphene_membrane"]["id"]
    assert client.get(f"/v1/technologies/{pending}", headers=headers).status_code == 404
    # Suggestions use the FX rates: a JPY price is judged against a CNY ticket.
    profile = summary["investor_profiles"]["yangtze_hardtech"]["id"]
    suggested = client.get(f"/v1/investor-profiles/{profile}/suggested-technologies", headers=headers).json["data"]
    assert suggested
    by_id = {s["technology"]["id"]: s for s in suggested}
    solid = {f["factor"]: f for f in by_id[summary["technologies"]["solid_state"]["id"]]["factors"]}
    assert solid["price"]["score"] is not None
    # Events were written as the API writes them: the fund heard of every publication, and of its deal.
    types = [e["type"] for e in client.get("/v1/events", query_string={"limit": 100}, headers=headers).json["data"]]
    assert types.count("technology.published") == len(catalogue.TECHNOLOGIES) - 1
    assert "match.closed" in types and "investor_profile.activated" in types


def test_demo_refuses_a_second_run_and_writes_nothing(cli, fresh):
    cli.json("demo")
    before = count(fresh(), Technology)
    result = cli.fails(1, "demo")
    assert "already loaded" in result.stderr and "nothing was written" in result.stderr
    assert count(fresh(), Technology) == before
    assert len(audit_events(fresh(), "demo.load")) == 1


def test_demo_prints_a_summary_for_people(cli):
    out = cli.ok("demo").stdout
    assert out.startswith("Loaded the demo catalogue: 10 members, 11 listings, 3 investor profiles, 2 matches, "
                          "1 referral, 7 FX rates.")
    assert "Huaxia University Technology Transfer Center" in out
