"""Search through the catalogue cache: never older than the database, same order as the database."""

from platform_api.technologies import catalogue_cache, services
from platform_api.technologies.catalogue_cache import CatalogueCache
from platform_api.technologies.models import Technology
from tests.factories.members import MemberFactory
from tests.factories.technologies import make_technology

from .test_views import member_token


def ids(resp):
    assert resp.status_code == 200, resp.json
    return [t["id"] for t in resp.json["data"]]


def database_order(db_session, member_id, q):
    """What the uncached ranking query returns, for comparison."""
    stmt = services.ranked_ids(db_session, member_id=member_id, params={"q": q, "limit": 100})
    return [row[0] for row in db_session.execute(stmt)]


def version(db_session):
    return services.catalogue_version(db_session, member_id="00000000-0000-4000-8000-000000000000")[0]


def test_the_database_moves_the_version_when_what_the_catalogue_shows_changes(db_session):
    owner = MemberFactory(name="Before", country="CN")
    start = version(db_session)
    draft = make_technology(owner, status="draft")
    draft.title = {"en": "A draft edited"}
    db_session.flush()
    assert version(db_session) == start  # drafts are nobody else's business
    services.transition(session=db_session, tech=draft, action="submit")
    services.transition(session=db_session, tech=draft, action="approve")
    assert version(db_session) == start + 1
    services.transition(session=db_session, tech=draft, action="withdraw")
    assert version(db_session) == start + 2
    owner.description = {"en": "Not shown with listings"}
    db_session.flush()
    assert version(db_session) == start + 2
    owner.name = "After"
    db_session.flush()
    assert version(db_session) == start + 3
    make_technology(owner)  # published at once (as an import with --publish does)
    assert version(db_session) == start + 4


def test_a_listing_approved_or_withdrawn_after_a_search_shows_in_the_next_one(client, db_session):
    owner = MemberFactory()
    first = make_technology(owner, title={"en": "Graphene heat spreader"})
    later = make_technology(owner, status="submitted", title={"en": "Graphene ink"})
    _me, h = member_token()
    assert ids(client.get("/v1/technologies?q=graphene", headers=h)) == [first.id]
    services.transition(session=db_session, tech=later, action="approve")
    db_session.flush()
    assert set(ids(client.get("/v1/technologies?q=graphene", headers=h))) == {first.id, later.id}
    services.transition(session=db_session, tech=first, action="withdraw")
    db_session.flush()
    assert ids(client.get("/v1/technologies?q=graphene", headers=h)) == [later.id]


def test_the_callers_unpublished_listings_are_merged_in_rank_order(client, db_session):
    me, h = member_token()
    other = MemberFactory()
    make_technology(other, title={"en": "Battery recycling line"})
    make_technology(other, title={"en": "Cement kiln"}, summary={"en": "Uses battery waste heat."})
    mine = make_technology(me, status="draft", title={"en": "Battery separator film"})
    make_technology(me, status="rejected", title={"en": "Wind blade"}, summary={"en": "A battery for the pitch motor."})
    make_technology(MemberFactory(), status="draft", title={"en": "Someone else's battery draft"})
    found = ids(client.get("/v1/technologies?q=battery", headers=h))
    assert found == database_order(db_session, me.id, "battery")
    assert len(found) == 4 and mine.id in found
    # the cached ranking of published listings is shared; another member sees only those
    _other, other_h = member_token()
    assert ids(client.get("/v1/technologies?q=battery", headers=other_h)) == [
        i for i in found if db_session.get(Technology, i).status == "published"
    ]


def test_pages_deeper_than_the_cache_keeps_come_from_the_database_in_the_same_order(client, db_session, monkeypatch):
    monkeypatch.setattr(catalogue_cache, "CAP", 3)
    me, h = member_token()
    for i in range(6):
        make_technology(MemberFactory(), title={"en": f"Perovskite cell {i}"}, summary={"en": "Thin film. " + "perovskite " * (i % 3)})
    make_technology(me, status="draft", title={"en": "Perovskite tandem draft"})
    seen, url = [], "/v1/technologies?q=perovskite&limit=2"
    while url:
        resp = client.get(url, headers=h)
        seen += ids(resp)
        cursor = resp.json["next_cursor"]
        url = f"/v1/technologies?q=perovskite&limit=2&cursor={cursor}" if cursor else None
    assert seen == database_order(db_session, me.id, "perovskite")
    assert len(seen) == 7


def test_a_renamed_owner_shows_under_its_new_name(client, db_session):
    owner = MemberFactory(name="Old Name Institute")
    make_technology(owner, title={"en": "Aerogel insulation"})
    _me, h = member_token()
    assert client.get("/v1/technologies?q=aerogel", headers=h).json["data"][0]["owner"]["name"] == "Old Name Institute"
    owner.name = "New Name Institute"
    db_session.flush()
    assert client.get("/v1/technologies?q=aerogel", headers=h).json["data"][0]["owner"]["name"] == "New Name Institute"


def test_cached_and_uncached_pages_are_the_same_bytes(client, db_session, app):
    make_technology(MemberFactory(), title={"en": "Quantum key distribution", "zh": "量子密钥分发"})
    _me, h = member_token()
    cold = client.get("/v1/technologies?q=quantum", headers=h)
    warm = client.get("/v1/technologies?q=quantum", headers=h)
    assert cold.data == warm.data and cold.json["data"]
    assert cold.headers["Content-Type"] == "application/json"


def test_the_owner_of_a_published_listing_still_sees_its_own_fields(client, db_session):
    me, h = member_token()
    mine = make_technology(me, title={"en": "Legged robot control"})
    _other, other_h = member_token()
    assert "review_note" not in client.get("/v1/technologies?q=legged", headers=other_h).json["data"][0]
    own = client.get("/v1/technologies?q=legged", headers=h).json["data"][0]
    assert own["id"] == mine.id and "allowed_actions" in own


def test_an_older_version_is_neither_served_nor_stored():
    cache = CatalogueCache()
    cache.put_ranking(5, ("k",), [(1.0, None, "a", "o")], True)
    assert cache.ranking(5, ("k",)) is not None
    assert cache.ranking(4, ("k",)) is None  # a request that read the version before a change
    cache.put_ranking(4, ("k",), [], True)
    assert cache.ranking(5, ("k",))[0] == [(1.0, None, "a", "o")]
    assert cache.ranking(6, ("k",)) is None  # newer: everything older is dropped
    assert cache.ranking(5, ("k",)) is None


def test_the_cache_is_bounded():
    cache = CatalogueCache(max_rankings=2, max_views=3)
    for k in range(5):
        cache.put_ranking(1, (k,), [], True)
    assert [k for k in range(5) if cache.ranking(1, (k,)) is not None] == [3, 4]
    cache.put_views(1, {str(i): "{}" for i in range(10)})
    assert sorted(cache.views(1, [str(i) for i in range(10)])) == ["7", "8", "9"]


def test_one_statement_over_many_listings_moves_the_version_only_if_one_is_published(db_session):
    """On PostgreSQL the triggers run once per statement (migration b3e5f7a9c1d2): an update of
    several listings moves the version when any of them is published, and not for drafts only."""
    from sqlalchemy import delete, update

    owner = MemberFactory()
    drafts = [make_technology(owner, status="draft") for _ in range(2)]
    published = [make_technology(owner, status="published") for _ in range(2)]
    start = version(db_session)
    db_session.execute(update(Technology).where(Technology.id.in_([t.id for t in drafts])).values(trl=3))
    assert version(db_session) == start
    db_session.execute(update(Technology).where(Technology.id.in_([t.id for t in drafts + published])).values(trl=4))
    moved = version(db_session)
    assert moved > start
    db_session.execute(delete(Technology).where(Technology.id == drafts[0].id))
    assert version(db_session) == moved
    db_session.execute(delete(Technology).where(Technology.id == published[0].id))
    assert version(db_session) > moved
