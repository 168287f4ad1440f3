"""Metrics under gunicorn with config/gunicorn.conf.py and several workers (PostgreSQL only):
GET /metrics, whichever worker answers it, reports the requests of every worker - and keeps
counting those of a worker that has died."""

from __future__ import annotations

import os
import re
import shutil
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from ..browser.live import committed_database
from ..test_metrics import METRICS_TOKEN, parse, value
from .conftest import ROOT, _start, _stop

WORKERS = 3
BATCH = 40


def _pids(folder: Path) -> set[int]:
    return {int(m.group(1)) for p in folder.iterdir() if (m := re.fullmatch(r"\w+_(\d+)\.db", p.name))}


def _healthz_by_worker(folder: Path, scratch: Path) -> dict[int, float]:
    """{worker pid: /healthz requests it counted}, each worker's counter file read on its own."""
    counts = {}
    for path in folder.glob("counter_*.db"):
        pid = int(path.stem.split("_")[1])
        alone = scratch / str(pid)
        alone.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, alone / path.name)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=str(alone))
        counts[pid] = value(parse(generate_latest(registry).decode()), "platform_http_requests_total",
                            route="/healthz", method="GET", status="200")
    return counts


def test_metrics_add_up_every_workers_requests(database_url, tmp_path):
    if not database_url.startswith("postgresql"):
        pytest.skip("gunicorn tests need PostgreSQL: set DATABASE_URL=postgresql+psycopg://...")
    folder = tmp_path / "prometheus"
    folder.mkdir()
    (folder / "counter_999999.db").write_bytes(b"left over from an earlier run")  # on_starting clears it
    log_path = tmp_path / "gunicorn.log"
    with committed_database(database_url, "metr") as url:
        proc, port = _start(
            url, tmp_path / "instance", log_path, workers=WORKERS,
            env_extra={"PLATFORM_METRICS_TOKEN": METRICS_TOKEN, "PROMETHEUS_MULTIPROC_DIR": str(folder)},
            args=("-c", str(ROOT / "config" / "gunicorn.conf.py")),
        )
        try:
            base = f"http://127.0.0.1:{port}"
            auth = {"Authorization": f"Bearer {METRICS_TOKEN}"}

            def scrape() -> dict:
                resp = requests.get(f"{base}/metrics", headers=auth, timeout=10)
                assert resp.status_code == 200, resp.text
                assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
                return parse(resp.text)

            def healthz(_i):
                # A new connection each time, several at once: the workers share them out.
                return requests.get(f"{base}/healthz", timeout=10, headers={"Connection": "close"}).status_code

            # Workers still loading the app take no connections yet: send batches until at
            # least two workers have answered some, then count what was sent.
            sent = 0
            deadline = time.monotonic() + 60
            with ThreadPoolExecutor(max_workers=12) as pool:
                while True:
                    statuses = list(pool.map(healthz, range(BATCH)))
                    assert statuses == [200] * BATCH
                    sent += BATCH
                    by_worker = _healthz_by_worker(folder, tmp_path / "per-worker" / str(sent))
                    if sum(1 for n in by_worker.values() if n) >= 2:
                        break
                    assert time.monotonic() < deadline, f"after {sent} requests only one worker answered: {by_worker}"
            assert sum(by_worker.values()) == sent, by_worker
            assert requests.get(f"{base}/metrics", timeout=10).status_code == 401

            served = _pids(folder)
            assert 999999 not in served, "on_starting did not clear the metrics folder"
            labels = dict(route="/healthz", method="GET", status="200")
            for _ in range(2 * WORKERS):  # scrapes answered by different workers agree
                samples = scrape()
                assert value(samples, "platform_http_requests_total", **labels) == sent
                assert value(samples, "platform_http_request_duration_seconds_count",
                             route="/healthz", method="GET", status_class="2xx") == sent
            assert value(samples, "platform_http_errors_total", route="/metrics", status="401", type="unauthorized") == 1

            # A worker that dies (gunicorn starts another) leaves its counts in the totals.
            victim = next(pid for pid, n in by_worker.items() if n)
            os.kill(victim, signal.SIGTERM)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    os.kill(victim, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.1)
            else:
                pytest.fail(f"worker {victim} did not exit")
            for _ in range(WORKERS):
                assert value(scrape(), "platform_http_requests_total", **labels) == sent
        finally:
            _stop(proc, port)
    log = log_path.read_text(errors="replace")
    assert METRICS_TOKEN not in log
