"""Retries until the receiver answers, in order per object; rotation; disabling a failing endpoint."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from platform_api.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from platform_api.webhooks.worker import DISABLE_AFTER, RETRY_WINDOW, backoff

from .conftest import create_endpoint
from .helpers import everyone, tour


def _until_quiet(worker, clock, *, step=timedelta(seconds=10), rounds=200):
    for _ in range(rounds):
        worker.drain()
        pending = worker.app.extensions["platform_db"].sessionmaker()
        try:
            left = pending.scalar(select(WebhookDelivery.id).where(WebhookDelivery.status.in_(("pending", "delivering"))).limit(1))
        finally:
            pending.close()
        if left is None:
            return
        clock.now += step
    raise AssertionError("deliveries still pending")


def test_the_schedule_retries_within_10_s_first_and_for_at_least_3_days():
    assert backoff(1, rand=lambda: 1.0) <= timedelta(seconds=10)
    assert backoff(1, rand=lambda: 0.0) > timedelta(0)
    total, n = timedelta(0), 0
    while total < RETRY_WINDOW:
        n += 1
        total += backoff(n, rand=lambda: 0.0)
    assert 10 <= n <= 30  # at least 3 days of retries, in a bounded number of attempts
    assert backoff(50, rand=lambda: 1.0) <= timedelta(hours=7.2)


def test_a_receiver_failing_for_a_while_gets_every_event_once_in_order(client, db_session, receiver, worker, clock):
    h, uni, fund, institution = everyone()
    ep = create_endpoint(client, h[uni], receiver.url)
    receiver.answers = [500, 500, 503, 500, 500, 200]
    tour(client, db_session, uni, fund, institution, h)
    worker.drain()
    first = db_session.scalars(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == ep["id"])
                               .order_by(WebhookDelivery.event_position)).all()
    failed = [d for d in first if d.attempt_count == 1 and d.status == "pending"]
    assert failed and all(d.next_attempt_at - d.last_attempt_at <= timedelta(seconds=10) for d in failed)
    assert all(d.last_response_status >= 500 and len(d.last_response_body) <= 1024 for d in failed)
    _until_quiet(worker, clock)
    deliveries = db_session.scalars(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == ep["id"])
                                    .execution_options(populate_existing=True)).all()
    assert deliveries and {d.status for d in deliveries} == {"succeeded"}
    ok = receiver.succeeded()
    assert sorted(r["headers"]["webhook-id"] for r in ok) == sorted(d.event_id for d in deliveries)  # each once
    attempts = db_session.scalars(select(WebhookAttempt)).all()
    assert len(attempts) == len(receiver.requests) == len(ok) + 5
    assert sorted(a.response_status for a in attempts if a.response_status != 200) == [500, 500, 500, 500, 503]
    # One object's events arrived in log order.
    position = {d.event_id: d.event_position for d in deliveries}
    by_object: dict = {}
    for r in ok:
        d = next(x for x in deliveries if x.event_id == r["headers"]["webhook-id"])
        by_object.setdefault((d.object_type, d.object_id), []).append(position[d.event_id])
    assert all(seq == sorted(seq) for seq in by_object.values()), by_object
    page = client.get(f"/v1/webhook-endpoints/{ep['id']}/deliveries?status=succeeded", headers=h[uni]).json["data"]
    assert len(page) == len(deliveries) and max(d["attempt_count"] for d in page) > 1


def test_during_a_rotation_both_secrets_sign_then_only_the_new_one(client, db_session, receiver, worker, clock):
    h, uni, fund, institution = everyone()
    ep = create_endpoint(client, h[uni], receiver.url, ["technology.*"])
    new = client.post(f"/v1/webhook-endpoints/{ep['id']}/rotate-secret", headers=h[uni]).json["secret"]
    tour(client, db_session, uni, fund, institution, h)
    worker.drain()
    assert receiver.requests
    for req in receiver.requests:
        assert len(req["headers"]["webhook-signature"].split(" ")) == 2
        Webhook(ep["secret"]).verify(req["body"], req["headers"])
        Webhook(new).verify(req["body"], req["headers"])
    receiver.requests.clear()
    clock.advance(hours=25)
    tour(client, db_session, uni, fund, institution, h)
    worker.drain()
    assert receiver.requests
    for req in receiver.requests:
        Webhook(new).verify(req["body"], req["headers"])
        with pytest.raises(WebhookVerificationError):
            Webhook(ep["secret"]).verify(req["body"], req["headers"])


def test_a_delivery_fails_after_3_days_and_an_endpoint_failing_for_5_is_disabled(client, db_session, receiver, worker, clock):
    h, uni, fund, institution = everyone()
    failing = create_endpoint(client, h[uni], receiver.url, ["technology.created"])
    watcher_receiver = type(receiver)()
    try:
        create_endpoint(client, h[uni], watcher_receiver.url, ["webhook_endpoint.*"])
        receiver.answers = [500]
        client.post("/v1/technologies", json=__import__("tests.factories.technologies", fromlist=["x"]).technology_body(),
                    headers=h[uni])
        _until_quiet(worker, clock, step=timedelta(hours=1), rounds=200)
        first = db_session.scalars(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == failing["id"])
                                   .execution_options(populate_existing=True)).one()
        assert first.status == "failed" and first.completed_at - first.window_started_at >= RETRY_WINDOW
        assert first.attempt_count > 10
        endpoint = db_session.get(WebhookEndpoint, failing["id"], populate_existing=True)
        assert endpoint.enabled and endpoint.failing_since is not None
        clock.now = endpoint.failing_since + DISABLE_AFTER
        from tests.factories.technologies import technology_body

        client.post("/v1/technologies", json=technology_body(), headers=h[uni])
        worker.drain()
        shown = client.get(f"/v1/webhook-endpoints/{failing['id']}", headers=h[uni]).json
        assert shown["enabled"] is False and shown["disabled_reason"] == "failing"
        worker.drain()  # the disabled event goes out to the member's other endpoint
        told = watcher_receiver.bodies()
        assert [b["type"] for b in told] == ["webhook_endpoint.disabled"]
        assert told[0]["data"]["object"]["id"] == failing["id"]
        assert told[0]["data"]["object"]["disabled_reason"] == "failing"
        [disabled] = [e for e in client.get("/v1/events?type=webhook_endpoint.*", headers=h[uni]).json["data"]]
        assert disabled == told[0]  # the stream has it too, as delivered
        # Enabling it again starts afresh.
        etag = client.get(f"/v1/webhook-endpoints/{failing['id']}", headers=h[uni]).headers["ETag"]
        again = client.patch(f"/v1/webhook-endpoints/{failing['id']}", json={"enabled": True},
                             headers={**h[uni], "If-Match": etag})
        assert again.json["enabled"] is True and again.json["disabled_reason"] is None
    finally:
        watcher_receiver.close()


def test_redeliver_sends_the_same_event_again(client, db_session, receiver, worker):
    h, uni, fund, institution = everyone()
    ep = create_endpoint(client, h[uni], receiver.url, ["technology.created"])
    from tests.factories.technologies import technology_body

    client.post("/v1/technologies", json=technology_body(), headers=h[uni])
    worker.drain()
    delivery = client.get(f"/v1/webhook-endpoints/{ep['id']}/deliveries", headers=h[uni]).json["data"][0]
    path = f"/v1/webhook-endpoints/{ep['id']}/deliveries/{delivery['id']}/redeliver"
    queued = client.post(path, headers=h[uni])
    assert queued.status_code == 202 and queued.json["status"] == "pending" and queued.json["next_attempt_at"]
    worker.drain()
    assert [r["headers"]["webhook-id"] for r in receiver.requests] == [delivery["event_id"]] * 2
    assert receiver.requests[0]["body"] == receiver.requests[1]["body"]
    again = client.get(f"/v1/webhook-endpoints/{ep['id']}/deliveries", headers=h[uni]).json["data"][0]
    assert again["status"] == "succeeded" and again["attempt_count"] == 2
    other = everyone()[0]
    stranger_h = next(iter(other.values()))
    assert client.post(path, headers=stranger_h).status_code == 404
    assert client.post(f"/v1/webhook-endpoints/{ep['id']}/deliveries/{ep['id']}/redeliver", headers=h[uni]).status_code == 404


def test_an_answer_later_than_the_timeout_is_a_failure(app, client, db_session, receiver, clock, monkeypatch):
    from platform_api.webhooks import delivery
    from platform_api.webhooks.worker import Worker
    from tests.factories.technologies import technology_body

    monkeypatch.setattr(delivery, "TIMEOUT", 0.3)
    slow = Worker(app, clock=clock)  # its client takes the (shortened) timeout
    try:
        h, uni, _fund, _institution = everyone()
        ep = create_endpoint(client, h[uni], receiver.url, ["technology.created"])
        receiver.delay = 1.0
        client.post("/v1/technologies", json=technology_body(), headers=h[uni])
        slow.drain()
        d = db_session.scalars(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == ep["id"])).one()
        assert d.status == "pending" and d.last_response_status is None and "no answer within" in d.last_error
        receiver.delay = 0.0
        clock.advance(seconds=10)
        slow.drain()
        d = db_session.get(WebhookDelivery, d.id, populate_existing=True)
        assert d.status == "succeeded" and d.attempt_count == 2
    finally:
        slow.close()
