"""platform-admin webhooks purge: ended deliveries go after a while, pending ones stay."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from platform_api.db import utcnow
from platform_api.webhooks.models import WebhookAttempt, WebhookDelivery
from tests.cli.helpers import Cli
from tests.factories.technologies import technology_body

from .conftest import create_endpoint
from .helpers import everyone


def test_purge_removes_old_ended_deliveries_and_their_attempts(app, client, db_session, receiver, worker):
    h, uni, _fund, _institution = everyone()
    ep = create_endpoint(client, h[uni], receiver.url, ["technology.*"])
    for _ in range(2):
        client.post("/v1/technologies", json=technology_body(), headers=h[uni])
    worker.drain()
    done = db_session.scalars(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == ep["id"])).all()
    assert len(done) == 2 and {d.status for d in done} == {"succeeded"}
    done[0].completed_at = utcnow() - timedelta(days=31)
    done[1].status, done[1].completed_at = "pending", None  # as if still being retried
    db_session.flush()
    out = Cli(app).json("webhooks", "purge", "--older-than", "30")
    assert out == {"deleted": 1}
    db_session.expire_all()
    left = db_session.scalars(select(WebhookDelivery.id)).all()
    assert left == [done[1].id]
    assert db_session.scalars(select(WebhookAttempt.delivery_id)).all() == [done[1].id]
