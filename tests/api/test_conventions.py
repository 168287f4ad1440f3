"""Behaviour every endpoint shares: headers, errors, limits, idempotency."""

import pytest
from flask import Blueprint, jsonify
from sqlalchemy import func, select

from platform_api import create_app
from platform_api.api.endpoint import endpoint
from platform_api.audit.models import AuditEvent
from platform_api.db import get_db, session
from tests.factories.oauth import ClientFactory, make_token


def auth(value):
    return {"Authorization": f"Bearer {value}"}


def test_every_response_carries_request_id_and_nosniff(client):
    resp = client.get("/healthz")
    assert resp.headers["X-Request-ID"]
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    echoed = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["X-Request-ID"] == "abc-123"
    hostile = client.get("/healthz", headers={"X-Request-ID": "<script>" * 3})
    assert hostile.headers["X-Request-ID"] != "<script>" * 3


def test_unknown_route_and_wrong_method_are_problems(client):
    resp = client.get("/v1/nothing-here")
    assert resp.status_code == 404 and resp.mimetype == "application/problem+json"
    resp = client.delete("/v1/me")
    assert resp.status_code == 405
    assert "GET" in resp.headers["Allow"]
    assert resp.mimetype == "application/problem+json"


def test_readyz_and_healthz(client):
    assert client.get("/healthz").json == {"status": "ok"}
    assert client.get("/readyz").json["status"] == "ready"


def test_rate_limit_per_client_with_retry_after(make_app):
    app = make_app(rate_limit="3/minute")
    c = app.test_client()
    _t, value = make_token(ClientFactory())
    _t2, other = make_token(ClientFactory())
    codes = [c.get("/v1/me", headers=auth(value)).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = c.get("/v1/me", headers=auth(value))
    assert limited.mimetype == "application/problem+json"
    assert int(limited.headers["Retry-After"]) >= 1
    assert c.get("/v1/me", headers=auth(other)).status_code == 200


def test_a_v1_route_without_declared_scope_refuses_to_start(settings_overrides):
    import platform_api.app as app_module

    bad = Blueprint("bad", __name__)

    @bad.get("/v1/undeclared")
    def undeclared():
        return jsonify({})

    original = app_module._register_blueprints

    def register(app):
        original(app)
        app.register_blueprint(bad)

    app_module._register_blueprints = register
    try:
        with pytest.raises(RuntimeError, match="no declared scope"):
            create_app(dict(settings_overrides))
    finally:
        app_module._register_blueprints = original


@pytest.fixture
def idem_app(settings_overrides, connection):
    """An app with one test-only creating endpoint (no real one exists yet in this layer)."""
    app = create_app(dict(settings_overrides))
    bp = Blueprint("idem", __name__)

    @bp.post("/v1/_test/events")
    @endpoint("members:write", idempotent=True)
    def create_event():
        from platform_api.api.body import json_body

        body = json_body()
        if body.get("clash_with"):
            # Not flushed: the duplicate primary key fails at the request's commit, not in the view.
            session().add(AuditEvent(id=body["clash_with"], actor="test", action="test.create", target_type="test"))
            return jsonify({}), 201
        if body.get("fail"):
            from platform_api.exceptions import Invalid

            raise Invalid([{"pointer": "/fail", "detail": "asked to fail"}])
        event = AuditEvent(actor="test", action="test.create", target_type="test", target_id=body.get("n"))
        session().add(event)
        session().flush()
        resp = jsonify({"id": event.id})
        resp.status_code = 201
        resp.headers["Location"] = f"/v1/_test/events/{event.id}"
        return resp

    app.register_blueprint(bp)
    get_db(app).sessionmaker.configure(bind=connection, join_transaction_mode="create_savepoint")
    yield app
    get_db(app).dispose()


def _count(db_session):
    return db_session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "test.create"))


def test_same_key_same_body_replays_and_creates_nothing(idem_app, db_session):
    c = idem_app.test_client()
    _t, value = make_token(ClientFactory())
    h = {**auth(value), "Idempotency-Key": "order-1"}
    first = c.post("/v1/_test/events", json={"n": "1"}, headers=h)
    assert first.status_code == 201
    again = c.post("/v1/_test/events", json={"n": "1"}, headers=h)
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json == first.json and again.headers["Location"] == first.headers["Location"]
    assert _count(db_session) == 1


def test_same_key_different_body_is_422(idem_app, db_session):
    c = idem_app.test_client()
    _t, value = make_token(ClientFactory())
    h = {**auth(value), "Idempotency-Key": "order-2"}
    assert c.post("/v1/_test/events", json={"n": "1"}, headers=h).status_code == 201
    assert c.post("/v1/_test/events", json={"n": "2"}, headers=h).status_code == 422
    assert _count(db_session) == 1


def test_keys_are_per_client(idem_app, db_session):
    c = idem_app.test_client()
    _t, a = make_token(ClientFactory())
    _t, b = make_token(ClientFactory())
    assert c.post("/v1/_test/events", json={"n": "1"}, headers={**auth(a), "Idempotency-Key": "k"}).status_code == 201
    second = c.post("/v1/_test/events", json={"n": "1"}, headers={**auth(b), "Idempotency-Key": "k"})
    assert second.status_code == 201 and "Idempotent-Replayed" not in second.headers
    assert _count(db_session) == 2


def test_failed_request_stores_nothing_under_its_key(idem_app, db_session):
    c = idem_app.test_client()
    _t, value = make_token(ClientFactory())
    h = {**auth(value), "Idempotency-Key": "order-3"}
    assert c.post("/v1/_test/events", json={"fail": True}, headers=h).status_code == 422
    ok = c.post("/v1/_test/events", json={"n": "3"}, headers=h)
    assert ok.status_code == 201 and "Idempotent-Replayed" not in ok.headers


def test_key_in_progress_is_409(idem_app, db_session):
    from datetime import timedelta

    from platform_api.api.idempotency import IdempotencyRecord
    from platform_api.db import utcnow

    c = idem_app.test_client()
    client_row = ClientFactory()
    _t, value = make_token(client_row)
    import hashlib
    import json as _json

    body = {"n": "4"}
    canonical = _json.dumps(body, sort_keys=True, separators=(",", ":"))
    fp = hashlib.sha256(f"POST /v1/_test/events\n{canonical}".encode()).hexdigest()
    db_session.add(IdempotencyRecord(client_pk=client_row.id, key="busy", fingerprint=fp, expires_at=utcnow() + timedelta(hours=1)))
    db_session.flush()
    resp = c.post("/v1/_test/events", json=body, headers={**auth(value), "Idempotency-Key": "busy"})
    assert resp.status_code == 409
    assert resp.json["type"] == "/problems/idempotency-conflict"
    assert _count(db_session) == 0


def test_bad_idempotency_key_is_400(idem_app):
    c = idem_app.test_client()
    _t, value = make_token(ClientFactory())
    assert c.post("/v1/_test/events", json={}, headers={**auth(value), "Idempotency-Key": "x" * 256}).status_code == 400


def _redis_up() -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")
def test_workers_share_rate_limit_counters_through_redis(make_app):
    import uuid

    url = "redis://127.0.0.1:6379/15"
    worker_a = make_app(rate_limit="4/minute", redis_url=url).test_client()
    worker_b = make_app(rate_limit="4/minute", redis_url=url).test_client()
    client_row = ClientFactory(client_id="cl_" + uuid.uuid4().hex[:12])
    _t, value = make_token(client_row)
    codes = [w.get("/v1/me", headers=auth(value)).status_code for w in (worker_a, worker_b, worker_a, worker_b, worker_a)]
    assert codes == [200, 200, 200, 200, 429]


def test_rate_limiter_outage_does_not_take_the_api_down(make_app):
    app = make_app(rate_limit="4/minute", redis_url="redis://127.0.0.1:1/0")
    _t, value = make_token(ClientFactory())
    assert app.test_client().get("/v1/me", headers=auth(value)).status_code == 200


def test_expired_idempotency_records_are_purged(idem_app, db_session):
    from datetime import timedelta

    from platform_api.api.idempotency import IdempotencyRecord
    from platform_api.db import utcnow

    c = idem_app.test_client()
    client_row = ClientFactory()
    _t, value = make_token(client_row)
    past = utcnow() - timedelta(days=2)
    for i in range(3):
        db_session.add(IdempotencyRecord(client_pk=client_row.id, key=f"old-{i}", fingerprint="x", state="completed",
                                         status_code=201, body="{}", created_at=past, expires_at=past + timedelta(days=1)))
    db_session.flush()
    assert c.post("/v1/_test/events", json={"n": "5"}, headers={**auth(value), "Idempotency-Key": "fresh"}).status_code == 201
    keys = set(db_session.scalars(select(IdempotencyRecord.key).where(IdempotencyRecord.client_pk == client_row.id)))
    assert keys == {"fresh"}


def test_a_failing_commit_releases_the_idempotency_key(idem_app, db_session):
    from platform_api.api.idempotency import IdempotencyRecord

    existing = AuditEvent(actor="test", action="test.other", target_type="test")
    db_session.add(existing)
    db_session.flush()
    c = idem_app.test_client()
    client_row = ClientFactory()
    _t, value = make_token(client_row)
    h = {**auth(value), "Idempotency-Key": "commit-fails"}
    first = c.post("/v1/_test/events", json={"clash_with": existing.id}, headers=h)
    assert first.status_code == 409 and first.json["type"] == "/problems/conflict"
    assert db_session.scalars(select(IdempotencyRecord).where(IdempotencyRecord.client_pk == client_row.id)).all() == []
    retry = c.post("/v1/_test/events", json={"clash_with": existing.id}, headers=h)
    assert retry.json["type"] == "/problems/conflict"  # not "still in progress"
