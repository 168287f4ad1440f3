"""The service under gunicorn with several workers, on a PostgreSQL database of its own.

Only on PostgreSQL (DATABASE_URL=postgresql+psycopg://...): the database `conc_<random>` is
created on the same server, migrated, seeded, served, and dropped at the end of the module.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from ..browser.live import add_client, add_member, add_token, committed_database, free_port, session_on
from ..conftest import TEST_SECRET

WORKERS = 4
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Service:
    url: str
    database_url: str
    member_id: str
    client_id: str
    client_secret: str
    token: str
    log_path: Path
    secrets: dict = field(default_factory=dict)

    def headers(self, **extra) -> dict:
        return {"Authorization": f"Bearer {self.token}", **extra}

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _start(database_url: str, instance: Path, log_path: Path, *, workers: int = WORKERS,
           env_extra: dict | None = None, args: tuple = ()):
    """gunicorn on a free port; returns (process, port). Retries when the port was taken meanwhile.

    `env_extra` adds to (or, with None values, removes from) the environment; `args` go before
    the other gunicorn options (such as `-c config/gunicorn.conf.py`, whose values they override)."""
    for _attempt in range(3):
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SECRET_KEY": TEST_SECRET,
            "PLATFORM_ENV": "test",
            "PLATFORM_INSTANCE_PATH": str(instance),
            "PLATFORM_ISSUER": f"http://127.0.0.1:{port}",
            "PLATFORM_RATE_LIMIT": "100000/minute",
            "PLATFORM_LOGIN_RATE_LIMIT": "1000/minute",
        }
        env.pop("PLATFORM_REDIS_URL", None)
        for key, value in (env_extra or {}).items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        log = log_path.open("ab")
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", *args, "-w", str(workers), "-k", "sync", "-b", f"127.0.0.1:{port}",
             "--timeout", "60", "--graceful-timeout", "5", "--error-logfile", "-", "platform_api:create_app()"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            try:
                if requests.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    return proc, port
            except requests.RequestException:
                pass
            time.sleep(0.2)
        _stop(proc, port)
        if "Address already in use" not in log_path.read_text(errors="replace"):
            break
    pytest.fail(f"gunicorn did not become ready:\n{log_path.read_text(errors='replace')[-4000:]}", pytrace=False)


def _stop(proc: subprocess.Popen, port: int) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
    for _ in range(50):  # the workers are gone once nobody answers on the port
        if not _port_open(port):
            return
        time.sleep(0.1)


@pytest.fixture(scope="module")
def service(database_url, tmp_path_factory):
    if not database_url.startswith("postgresql"):
        pytest.skip("concurrency tests need PostgreSQL: set DATABASE_URL=postgresql+psycopg://... (SQLite has one writer)")
    folder = tmp_path_factory.mktemp("gunicorn")
    log_path = folder / "gunicorn.log"
    with committed_database(database_url, "conc") as url:
        with session_on(url) as s:
            member = add_member(s, name="Concurrency Test University")
            client, secret = add_client(s, member, name="Concurrency test client")
            token = add_token(s, client)
            ids = (member.id, client.client_id)
        proc, port = _start(url, folder / "instance", log_path)
        try:
            svc = Service(f"http://127.0.0.1:{port}", url, ids[0], ids[1], secret, token, log_path)
            svc.secrets = {"seeded access token": token, "client secret": secret}
            yield svc
        finally:
            _stop(proc, port)
            assert not _port_open(port), f"port {port} still answers after gunicorn was stopped"
