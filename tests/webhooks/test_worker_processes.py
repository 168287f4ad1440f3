"""`platform-admin webhooks worker` as real processes on a committed PostgreSQL database: one
killed with SIGKILL mid-delivery loses nothing, two never send the same delivery at once, and
SIGTERM stops a worker cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from platform_api import create_app
from platform_api.db import get_db
from platform_api.webhooks.models import WebhookAttempt, WebhookDelivery
from tests.browser.live import add_client, add_member, add_token, committed_database, session_on
from tests.conftest import TEST_SECRET
from tests.factories.technologies import technology_body

from .conftest import Receiver

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def live(database_url, tmp_path):
    """A committed database, an app on it (requests commit for real) and a member's token."""
    if not database_url.startswith("postgresql"):
        pytest.skip("worker processes are tested on PostgreSQL (DATABASE_URL=postgresql+psycopg://...)")
    with committed_database(database_url, "wh") as url:
        with session_on(url) as s:
            member = add_member(s, name="Webhook Test University")
            client, _secret = add_client(s, member)
            token = add_token(s, client)
        app = create_app({"database_url": url, "env": "test", "secret_key": TEST_SECRET,
                          "instance_path": str(tmp_path / "instance"), "rate_limit": "100000/minute",
                          "credential_cache": False})
        try:
            yield app, {"Authorization": f"Bearer {token}"}, url
        finally:
            get_db(app).dispose()


def _worker(url: str, tmp_path: Path, name: str, *args: str) -> tuple[subprocess.Popen, Path]:
    log = tmp_path / f"{name}.log"
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": TEST_SECRET, "PLATFORM_ENV": "test",
           "PLATFORM_INSTANCE_PATH": str(tmp_path / "instance")}
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-c", "from platform_api.admin import main; main()", "webhooks", "worker", *args],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    return proc, log


def _stop(proc: subprocess.Popen) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait(timeout=10)


def _count(app, *where) -> int:
    s = get_db(app).sessionmaker()
    try:
        return s.scalar(select(func.count()).select_from(WebhookDelivery).where(*where))
    finally:
        s.close()


def _wait(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _endpoint(client, h, url: str) -> dict:
    resp = client.post("/v1/webhook-endpoints", json={"url": url, "event_types": ["technology.*"]}, headers=h)
    assert resp.status_code == 201, resp.json
    return resp.json


def test_a_worker_killed_mid_delivery_loses_nothing(live, tmp_path):
    app, h, url = live
    client = app.test_client()
    receiver = Receiver()
    try:
        _endpoint(client, h, receiver.url)
        receiver.delay = 3.0  # the first request hangs: the worker is killed while it waits
        for _ in range(3):
            assert client.post("/v1/technologies", json=technology_body(), headers=h).status_code == 201
        doomed, log = _worker(url, tmp_path, "doomed", "--lease", "15")
        try:
            assert receiver.started.wait(30), log.read_text()
            assert _count(app, WebhookDelivery.status == "delivering") >= 1
        finally:
            doomed.kill()  # SIGKILL: no chance to record anything
            doomed.wait(timeout=10)
        receiver.delay = 0.0
        heir, log2 = _worker(url, tmp_path, "heir", "--lease", "15")
        try:
            _wait(lambda: _count(app, WebhookDelivery.status != "succeeded") == 0, 60, "every delivery to succeed")
        finally:
            assert _stop(heir) == 0, log2.read_text()
        assert "stopped" in log2.read_text()
        s = get_db(app).sessionmaker()
        try:
            ids = set(s.scalars(select(WebhookDelivery.event_id)))
        finally:
            s.close()
        assert len(ids) == 3 and ids <= {r["headers"]["webhook-id"] for r in receiver.succeeded()}
    finally:
        receiver.close()


def test_two_workers_never_send_the_same_delivery_twice(live, tmp_path):
    app, h, url = live
    client = app.test_client()
    receiver = Receiver()
    receiver.delay = 0.02
    try:
        for i in range(3):
            _endpoint(client, h, f"{receiver.url}/{i}")
        for _ in range(15):
            assert client.post("/v1/technologies", json=technology_body(), headers=h).status_code == 201
        expected = 3 * 15  # the workers' dispatchers make the deliveries: none exists yet
        assert _count(app) == 0
        workers = [_worker(url, tmp_path, f"w{i}", "--batch", "4", "--threads", "4") for i in range(2)]
        try:
            _wait(lambda: _count(app, WebhookDelivery.status == "succeeded") == expected, 90, "every delivery")
        finally:
            codes = [_stop(p) for p, _log in workers]
        assert codes == [0, 0], [log.read_text() for _p, log in workers]
        sent = Counter((r["path"], r["headers"]["webhook-id"]) for r in receiver.requests)
        assert len(sent) == expected and set(sent.values()) == {1}
        s = get_db(app).sessionmaker()
        try:
            assert s.scalar(select(func.count()).select_from(WebhookAttempt)) == expected
        finally:
            s.close()
    finally:
        receiver.close()


def test_sigterm_lets_the_worker_finish_the_delivery_in_hand(live, tmp_path):
    app, h, url = live
    client = app.test_client()
    receiver = Receiver()
    try:
        _endpoint(client, h, receiver.url)
        receiver.delay = 2.0
        assert client.post("/v1/technologies", json=technology_body(), headers=h).status_code == 201
        proc, log = _worker(url, tmp_path, "graceful")
        assert receiver.started.wait(30), log.read_text()
        proc.send_signal(signal.SIGTERM)  # while the receiver holds the request
        assert proc.wait(timeout=30) == 0, log.read_text()
        assert _count(app, WebhookDelivery.status == "succeeded") == 1 and _count(app) == 1
    finally:
        receiver.close()
