import pytest

from platform_api.matching import services
from tests.factories.investors import make_profile
from tests.factories.matching import make_match, token_for
from tests.factories.members import MemberFactory
from tests.factories.technologies import make_technology


def close(db_session, match, **deal):
    services.respond(session=db_session, match=match, member_id=match.technology_owner_id if match.proposed_by == "investor"
                     else match.investor_id, action="accept")
    from platform_api.matching.schemas import CloseSchema

    data = CloseSchema().load(deal)
    return services.close(session=db_session, match=match, member_id=match.investor_id, data=data)


def by(items, key, value):
    return next(i for i in items if i[key] == value)


def _no_committed_matches(db_session):
    from platform_api.matching.models import Match

    if db_session.query(Match).count():
        pytest.skip("the suite's database already holds committed matches")


def test_stats_count_listings_matches_and_deals(client, db_session):
    _no_committed_matches(db_session)
    h = token_for(MemberFactory(), scopes=["technologies:read"])
    before = client.get("/v1/stats", headers=h).json
    uni = MemberFactory(kind="university")
    battery = make_technology(uni)
    robot = make_technology(uni, field="robotics")
    make_technology(uni, status="draft")
    a = make_match(battery, make_profile())
    b = make_match(robot, make_profile(fields=["robotics"]))
    c = make_match(battery, make_profile())
    make_match(robot, make_profile(fields=["robotics"]))
    close(db_session, b, outcome="deal_closed", deal_type="exclusive_license",
          amount={"amount": "500000.00", "currency": "EUR"}, signed_on="2025-06-30")
    close(db_session, c, outcome="deal_closed", deal_type="exclusive_license",
          amount={"amount": "100000.50", "currency": "CNY"}, signed_on="2026-01-15")
    # The assignment last: it transfers the listing, which is then no longer open to other deals.
    close(db_session, a, outcome="deal_closed", deal_type="assignment",
          amount={"amount": "2500000.00", "currency": "CNY"}, signed_on="2026-11-01")
    resp = client.get("/v1/stats", headers=h)
    assert resp.status_code == 200
    now = resp.json
    assert now["listings"]["published"] == before["listings"]["published"] + 1  # battery was assigned
    assert now["listings"]["transacted"] == before["listings"]["transacted"] + 1
    field = lambda data, f: by(data["listings"]["published_by_field"], "field", f)["count"]  # noqa: E731
    assert field(now, "robotics") == field(before, "robotics") + 1
    assert len(now["listings"]["published_by_field"]) == 12
    # Four matches and three deals: each is someone's confidential business, so all of it is hidden.
    assert now["matches"]["total"] is None
    statuses = {row["status"]: row["count"] for row in now["matches"]["by_status"]}
    assert statuses["deal_closed"] is None and statuses["proposed"] is None and statuses["declined"] == 0
    deals = now["deals"]
    assert deals["count"] is None and deals["totals"] is None
    assert deals["by_year"] == [{"year": 2025, "count": None, "totals": None},
                                {"year": 2026, "count": None, "totals": None}]
    assert {"year": 2026, "field": "new_energy", "deal_type": "assignment", "count": None, "totals": None} \
        in deals["by_year_field_deal_type"]
    assert "2500000" not in resp.get_data(as_text=True)
    assert set(now) == {"generated_at", "listings", "matches", "deals", "referrals"}


def test_deal_figures_show_once_no_single_deal_can_be_read_from_them(client, db_session):
    """Issue 15 finding 2, for deals. Six licences and five assignments in 2026, one assignment in
    2025: the 2025 deal is hidden, and so is whatever would give it back: the 2026 row (the whole
    minus it) and the smaller 2026 group (the whole minus the other groups)."""
    _no_committed_matches(db_session)
    h = token_for(MemberFactory(), scopes=["technologies:read"])
    uni = MemberFactory(kind="university")

    def deal(deal_type, field, amount, currency, signed_on):
        match = make_match(make_technology(uni, field=field, deal_types=[deal_type]), make_profile(fields=[field]))
        close(db_session, match, outcome="deal_closed", deal_type=deal_type,
              amount={"amount": amount, "currency": currency}, signed_on=signed_on)

    for i in range(6):
        deal("exclusive_license", "robotics", "1000.00", "EUR", f"2026-0{i + 1}-10")
    for i in range(5):
        deal("assignment", "new_energy", "2000.00", "CNY", f"2026-0{i + 1}-20")
    deal("assignment", "new_energy", "777777.00", "CNY", "2025-03-01")
    resp = client.get("/v1/stats", headers=h)
    deals = resp.json["deals"]
    assert deals["count"] == 12
    assert deals["totals"] == [{"amount": "787777.00", "currency": "CNY"}, {"amount": "6000.00", "currency": "EUR"}]
    assert deals["by_year"] == [{"year": 2025, "count": None, "totals": None},
                                {"year": 2026, "count": None, "totals": None}]
    groups = {(g["year"], g["field"], g["deal_type"]): (g["count"], g["totals"]) for g in deals["by_year_field_deal_type"]}
    assert groups == {
        (2025, "new_energy", "assignment"): (None, None),
        (2026, "new_energy", "assignment"): (None, None),
        (2026, "robotics", "exclusive_license"): (6, [{"amount": "6000.00", "currency": "EUR"}]),
    }
    assert "777777" not in resp.get_data(as_text=True)
    statuses = {row["status"]: row["count"] for row in resp.json["matches"]["by_status"]}
    assert resp.json["matches"]["total"] == 12 and statuses["deal_closed"] == 12


def test_stats_take_no_parameters(client):
    h = token_for(MemberFactory(), scopes=["technologies:read"])
    resp = client.get("/v1/stats?year=2026", headers=h)
    assert resp.status_code == 400 and resp.json["errors"][0]["parameter"] == "year"


def test_stats_need_a_technologies_read_token(client):
    h = token_for(MemberFactory(), scopes=["matches:read"])
    resp = client.get("/v1/stats", headers=h)
    assert resp.status_code == 403 and "technologies:read" in resp.json["detail"]


def _referral_stats(client, h) -> dict:
    body = client.get("/v1/stats", headers=h)
    assert body.status_code == 200
    return body.json["referrals"]


def test_referrals_appear_only_as_anonymous_totals(client, db_session):
    from platform_api.referrals.models import Referral
    from tests.factories.referrals import make_referral

    if db_session.query(Referral).count():
        pytest.skip("the suite's database already holds committed referrals")
    h = token_for(MemberFactory(), scopes=["technologies:read"])
    claimant = MemberFactory(kind="enterprise", name="Confidential Claimant Ltd")
    made = [make_referral(claimant, procedure="arbitration") for _ in range(6)]
    body = client.get("/v1/stats", headers=h)
    after = body.json["referrals"]
    assert after["total"] == 6
    assert {r["procedure"]: r["count"] for r in after["by_procedure"]}["arbitration"] == 6
    text = body.get_data(as_text=True)
    for referral in made:
        assert referral.id not in text and referral.reference not in text
    assert claimant.name not in text


def test_small_referral_counts_are_hidden_so_no_case_can_be_inferred(client, db_session):
    """Issue 15 finding 2: with two referrals anyone could tell the other one was a mediation that
    had been acknowledged. Counts of 1-4 are null, a total under 5 is null, and a breakdown that
    hides one count hides another, so that total minus the shown counts never gives it back."""
    from platform_api.referrals.models import Referral
    from tests.factories.referrals import make_referral

    if db_session.query(Referral).count():
        pytest.skip("the suite's database already holds committed referrals")
    h = token_for(MemberFactory(), scopes=["technologies:read"])
    claimant = MemberFactory(kind="enterprise")
    make_referral(claimant, procedure="mediation")
    make_referral(claimant, procedure="arbitration")
    two = _referral_stats(client, h)
    assert two["total"] is None
    assert {r["procedure"]: r["count"] for r in two["by_procedure"]} == {
        "mediation": None, "arbitration": None, "expedited_arbitration": 0, "expert_determination": 0}
    for _ in range(6):
        make_referral(claimant, procedure="arbitration")
    eight = _referral_stats(client, h)
    procedures = {r["procedure"]: r["count"] for r in eight["by_procedure"]}
    # mediation (1) is hidden; arbitration (7) is hidden too, or 8 - 7 would give mediation back.
    assert eight["total"] == 8 and procedures["mediation"] is None and procedures["arbitration"] is None
    for section in ("by_procedure", "by_status"):
        counts = [r["count"] for r in eight[section]]
        hidden = [c for c in counts if c is None]
        assert len(hidden) != 1, section  # one hidden count would be the total minus the rest
        assert all(c is None or c == 0 or c >= 5 for c in counts), section
