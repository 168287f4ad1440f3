"""A real receiver on 127.0.0.1, a worker run in-process on the test's connection, and helpers."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from platform_api.db import utcnow
from platform_api.webhooks.worker import Worker

WEBHOOK_SCOPES = ["webhooks:read", "webhooks:write", "events:read"]


class Receiver:
    """An HTTP server in a thread that records every POST and answers from `answers` (status
    codes, used in turn; the last one repeats)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.answers = [200]
        self.delay = 0.0
        self.started = threading.Event()  # set when a request arrives (for tests that kill mid-delivery)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.started.set()
                if receiver.delay:
                    threading.Event().wait(receiver.delay)
                status = receiver.answers.pop(0) if len(receiver.answers) > 1 else receiver.answers[0]
                receiver.requests.append({"path": self.path, "headers": dict(self.headers.items()),
                                          "body": body.decode(), "status": status})
                payload = b"ok" if status < 300 else b"boom " * 400
                self.send_response(status)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def succeeded(self) -> list[dict]:
        return [r for r in self.requests if r["status"] < 300]

    def bodies(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.succeeded()]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


class Clock:
    """The worker's clock: real time plus what the test moved it on by (retries and leases are
    due by it)."""

    def __init__(self):
        self.offset = timedelta(0)

    def __call__(self):
        return utcnow() + self.offset

    @property
    def now(self):
        return self()

    @now.setter
    def now(self, value):
        self.offset = value - utcnow()

    def advance(self, **kw):
        self.offset += timedelta(**kw)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def worker(app, clock):
    w = Worker(app, clock=clock, threads=4)
    yield w
    w.close()


def create_endpoint(client, headers, url, event_types=("*",), **extra):
    resp = client.post("/v1/webhook-endpoints", json={"url": url, "event_types": list(event_types), **extra},
                       headers=headers)
    assert resp.status_code == 201, resp.json
    return resp.json
