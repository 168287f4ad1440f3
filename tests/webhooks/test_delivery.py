"""Events reach a real receiver, signed (verified with the standardwebhooks package), each body
exactly what GET /v1/events/{id} shows that member, and only what that member may see."""

from __future__ import annotations

from standardwebhooks.webhooks import Webhook

from platform_api.webhooks.models import WebhookDelivery

from .conftest import create_endpoint
from .helpers import api_event, everyone, tour


def _verified(receiver, secret: str) -> list[dict]:
    hook = Webhook(secret)
    out = []
    for req in receiver.succeeded():
        body = hook.verify(req["body"], req["headers"])
        assert req["headers"]["webhook-id"] == body["id"]
        out.append(body)
    return out


def test_a_tour_arrives_signed_and_as_the_api_shows_it(app, client, db_session, receiver, worker):
    h, uni, fund, institution = everyone()
    ep = create_endpoint(client, h[uni], receiver.url)
    ids = tour(client, db_session, uni, fund, institution, h)
    worker.drain()
    bodies = _verified(receiver, ep["secret"])
    types = [b["type"] for b in bodies]
    for expected in ("technology.created", "technology.submitted", "technology.published", "match.proposed",
                     "match.accepted", "match.closed", "referral.created"):
        assert expected in types, types
    assert len(set(b["id"] for b in bodies)) == len(bodies)  # each once
    for body in bodies:
        assert body == api_event(app, client, h[uni], body["id"])
    assert any(b["data"]["object"]["id"] == ids["match"] for b in bodies if b["type"].startswith("match."))
    # The deliveries say what happened.
    page = client.get(f"/v1/webhook-endpoints/{ep['id']}/deliveries", headers=h[uni]).json["data"]
    assert {d["status"] for d in page} == {"succeeded"} and all(d["response_status"] == 200 for d in page)
    assert all(d["attempt_count"] == 1 and d["next_attempt_at"] is None for d in page)


def test_a_member_subscribed_to_everything_sees_only_what_it_may(app, client, db_session, receiver, worker):
    h, uni, fund, institution = everyone()
    from tests.factories.matching import token_for
    from tests.factories.members import MemberFactory

    stranger = MemberFactory(kind="enterprise")
    hs = token_for(stranger, scopes=["webhooks:read", "webhooks:write", "events:read"])
    ep = create_endpoint(client, hs, receiver.url, ["*"])
    ids = tour(client, db_session, uni, fund, institution, h)
    worker.drain()
    bodies = _verified(receiver, ep["secret"])
    # Only what every member may see: the listing once published, the fund's active profile.
    assert sorted(b["type"] for b in bodies) == ["investor_profile.activated", "technology.published"]
    assert {b["data"]["object"]["id"] for b in bodies} == {ids["technology"], ids["profile"]}
    for body in bodies:
        assert body == api_event(app, client, hs, body["id"])


def test_event_types_filter_and_an_endpoint_gets_only_later_events(app, client, db_session, receiver, worker):
    h, uni, fund, institution = everyone()
    tour(client, db_session, uni, fund, institution, h)
    ep = create_endpoint(client, h[fund], receiver.url, ["match.*"])
    worker.drain()
    assert receiver.requests == []  # everything so far happened before the endpoint existed
    tour(client, db_session, uni, fund, institution, h)
    worker.drain()
    bodies = _verified(receiver, ep["secret"])
    assert [b["type"] for b in bodies] == ["match.proposed", "match.accepted", "match.closed"]


def test_a_disabled_endpoint_gets_nothing(client, db_session, receiver, worker):
    h, uni, fund, institution = everyone()
    ep = create_endpoint(client, h[uni], receiver.url, enabled=False)
    tour(client, db_session, uni, fund, institution, h)
    worker.drain()
    assert receiver.requests == [] and db_session.query(WebhookDelivery).filter_by(endpoint_id=ep["id"]).count() == 0


def test_a_suspended_member_hears_only_of_its_standing_and_a_terminated_one_nothing(app, client, db_session, receiver,
                                                                                      worker):
    from tests.cli.helpers import Cli
    from tests.factories.technologies import make_technology

    h, uni, fund, institution = everyone()
    create_endpoint(client, h[fund], receiver.url)
    cli = Cli(app)
    cli.ok("members", "suspend", fund.id, "--reason", "Unpaid fee.")
    tech = make_technology(uni, status="submitted")
    db_session.commit()
    cli.ok("technologies", "approve", tech.id)  # public: every active member's endpoints get it
    worker.drain()  # (the worker fans out as events commit; the member's standing then decides)
    cli.ok("members", "reinstate", fund.id)
    worker.drain()
    assert [b["type"] for b in receiver.bodies()] == ["member.suspended", "member.reinstated"]
    cli.ok("members", "terminate", fund.id, "--reason", "Left the platform.")
    other = make_technology(uni, status="submitted")
    db_session.commit()
    cli.ok("technologies", "approve", other.id)
    worker.drain()
    assert [b["type"] for b in receiver.bodies()] == ["member.suspended", "member.reinstated"]
