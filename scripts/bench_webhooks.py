#!/usr/bin/env python3
"""Webhook delivery on PostgreSQL: throughput and commit-to-delivery latency (issue 13).

    ./scripts/bench webhooks                       # 2 workers, 20,000 events, 200 events/s for 15 s
    ./scripts/bench webhooks --workers 2 --events 50000 --rate 200 --seconds 30

What it does, on a database of its own (`bench_webhooks`, dropped and made again):
1. A receiver in a process of its own (asyncio, keep-alive HTTP/1.1, answers 200 at once and
   notes when each webhook-id arrived). Its bare capacity: wrk POSTing a webhook-sized body to
   it for a few seconds, the figure everything else is set against.
2. `--members` members, each with one endpoint subscribed to `*` on that receiver.
3. Throughput: `--workers` real `platform-admin webhooks worker` processes are started and left
   idle; then `--events` events (each to one member, in turn) are committed at once, and the
   clock runs from that commit until every delivery has succeeded.
4. Latency: events are committed one per transaction at `--rate` per second for `--seconds`
   while the workers run; each event's latency is its arrival at the receiver minus its commit.

The figures are printed, and as JSON with --json. The receiver answers every request (wrk's and
the workers'), so the ratio deliveries/s : bare req/s says what the platform's side costs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_webhooks"
SECRET = "bench-webhooks-secret-" + "w" * 32
PAYLOAD = {"note": "x" * 600}  # about the size of a match's event body


# --- the receiver --------------------------------------------------------------------------------

def receiver(port: int, out: str) -> None:
    """Serve until SIGTERM; then write `arrival_time webhook_id` lines to `out`."""
    arrivals: list[tuple[float, bytes]] = []
    ok = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"

    class Proto(asyncio.Protocol):
        def connection_made(self, transport):
            self.transport, self.buf = transport, b""

        def data_received(self, data):
            self.buf += data
            while True:
                end = self.buf.find(b"\r\n\r\n")
                if end < 0:
                    return
                length, wid = 0, None
                for line in self.buf[:end].split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    name = name.strip().lower()
                    if name == b"content-length":
                        length = int(value)
                    elif name == b"webhook-id":
                        wid = value.strip()
                if len(self.buf) < end + 4 + length:
                    return
                self.buf = self.buf[end + 4 + length:]
                if wid is not None:
                    arrivals.append((time.time(), wid))
                self.transport.write(ok)

    async def main():
        loop = asyncio.get_running_loop()
        stop = loop.create_future()
        loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)
        server = await loop.create_server(Proto, "127.0.0.1", port, backlog=1024)
        print("ready", flush=True)
        await stop
        server.close()

    asyncio.run(main())
    with open(out, "w") as f:
        f.writelines(f"{t:.6f} {w.decode()}\n" for t, w in arrivals)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _bare_capacity(port: int, seconds: int) -> float:
    """wrk POSTing a webhook-sized body to the receiver: requests per second."""
    body = json.dumps({"id": str(uuid.uuid4()), "type": "match.proposed", "data": {"object": PAYLOAD}})
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                f"wrk.body = {json.dumps(body)}\n")
        lua = f.name
    try:
        out = subprocess.run(["wrk", "-t2", "-c16", f"-d{seconds}s", "-s", lua, f"http://127.0.0.1:{port}/hook"],
                             capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(lua)
    return float(next(line.split()[1] for line in out.splitlines() if line.startswith("Requests/sec")))


# --- the platform side ---------------------------------------------------------------------------

def _fresh_database(url: str) -> None:
    from sqlalchemy import create_engine, text

    from platform_api import migrate

    server, name = url.rsplit("/", 1)
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    migrate.upgrade(url)


def _env(url: str, instance: str) -> dict:
    return {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET, "PLATFORM_ENV": "development",
            "PLATFORM_INSTANCE_PATH": instance, "PLATFORM_CREDENTIAL_CACHE": "off"}


def _members_with_endpoints(app, n: int, port: int) -> list[str]:
    from platform_api.db import get_db
    from platform_api.members.models import Member
    from platform_api.webhooks import services

    ids = []
    with app.app_context():
        s = get_db(app).sessionmaker()
        for i in range(n):
            member = Member(name=f"Webhook bench member {i}", kind="enterprise", country="DE", status="active")
            s.add(member)
            s.flush()
            services.create(session=s, member_id=member.id, settings=app.config["PLATFORM"],
                            data={"url": f"http://127.0.0.1:{port}/hook/{i}", "event_types": ["*"],
                                  "description": "bench", "enabled": True})
            ids.append(member.id)
        s.commit()
        s.close()
    return ids


def _emit(app, members: list[str], count: int, start: int = 0) -> dict[str, float]:
    """`count` events in one transaction; {event id: commit time}."""
    from platform_api.db import get_db
    from platform_api.events import emit
    from platform_api.events.outbox import pending

    with app.app_context():
        s = get_db(app).sessionmaker()
        for i in range(start, start + count):
            emit(s, "match.proposed", subject=("match", str(uuid.uuid4())),
                 recipients={members[i % len(members)]: {"object": PAYLOAD}})
        ids = [e["id"] for e in pending(s)]
        s.commit()
        now = time.time()
        s.close()
    return {i: now for i in ids}


def _succeeded(url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = _succeeded.engines.setdefault(url, create_engine(url))
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM webhook_deliveries WHERE status = 'succeeded'")).scalar_one()


_succeeded.engines = {}


def _wait_for(url: str, total: int, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _succeeded(url) >= total:
            return time.time()
        time.sleep(0.05)
    raise SystemExit(f"bench webhooks: only {_succeeded(url)} of {total} deliveries succeeded in {timeout:.0f} s")


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def bench(args) -> dict:
    sys.path.insert(0, str(ROOT))
    from platform_api import create_app

    instance = tempfile.mkdtemp(prefix="bench-webhooks-")
    arrivals_file = os.path.join(instance, "arrivals.txt")
    port = _free_port()
    recv = subprocess.Popen([sys.executable, __file__, "receiver", "--port", str(port), "--out", arrivals_file],
                            stdout=subprocess.PIPE, text=True)
    assert recv.stdout.readline().strip() == "ready"
    workers = []
    try:
        bare = _bare_capacity(port, args.bare_seconds)
        _fresh_database(args.database_url)
        env = _env(args.database_url, instance)
        os.environ.update({k: env[k] for k in ("DATABASE_URL", "SECRET_KEY", "PLATFORM_ENV", "PLATFORM_INSTANCE_PATH")})
        app = create_app({"credential_cache": False})
        members = _members_with_endpoints(app, args.members, port)
        admin = str(Path(sys.executable).with_name("platform-admin"))
        for _ in range(args.workers):
            workers.append(subprocess.Popen(
                [admin, "webhooks", "worker", "--batch", str(args.batch), "--threads", str(args.threads),
                 "--poll", str(args.poll)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        time.sleep(3)  # the workers start (each builds the app) and go idle

        # Throughput: everything committed at once, the clock runs until the last one succeeded.
        committed = _emit(app, members, args.events)
        start = next(iter(committed.values()))
        finished = _wait_for(args.database_url, args.events, timeout=600)
        throughput = args.events / (finished - start)

        # Latency: one event per transaction at --rate.
        commits: dict[str, float] = {}
        interval, n = 1.0 / args.rate, args.rate * args.seconds
        t0 = time.time()
        for i in range(n):
            delay = t0 + i * interval - time.time()
            if delay > 0:
                time.sleep(delay)
            commits.update(_emit(app, members, 1, start=i))
        achieved = n / (time.time() - t0)
        _wait_for(args.database_url, args.events + n, timeout=600)
    finally:
        for w in workers:
            w.send_signal(signal.SIGTERM)
        for w in workers:
            try:
                w.wait(timeout=30)
            except subprocess.TimeoutExpired:
                w.kill()
        recv.send_signal(signal.SIGTERM)
        recv.wait(timeout=30)
    arrived: dict[str, float] = {}
    with open(arrivals_file) as f:
        for line in f:
            t, wid = line.split()
            arrived.setdefault(wid, float(t))
    latencies = [(arrived[i] - c) * 1000 for i, c in commits.items() if i in arrived]
    missing = len(commits) - len(latencies) + sum(1 for i in committed if i not in arrived)
    return {
        "workers": args.workers, "batch": args.batch, "threads": args.threads, "members": args.members,
        "receiver_bare_rps": round(bare), "events": args.events,
        "deliveries_per_s": round(throughput), "ratio_to_bare": round(throughput / bare, 3),
        "rate": args.rate, "rate_achieved": round(achieved, 1), "latency_events": len(latencies),
        "latency_ms_p50": round(statistics.median(latencies), 1), "latency_ms_p99": round(_percentile(latencies, 99), 1),
        "latency_ms_max": round(max(latencies), 1), "missing": missing,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command")
    rec = sub.add_parser("receiver")
    rec.add_argument("--port", type=int, required=True)
    rec.add_argument("--out", required=True)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_WEBHOOKS_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--poll", type=float, default=0.05)
    parser.add_argument("--members", type=int, default=20)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--bare-seconds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "receiver":
        receiver(args.port, args.out)
        return
    result = bench(args)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"receiver, bare (wrk -c16):           {result['receiver_bare_rps']:>8} req/s")
    print(f"deliveries, {result['workers']} workers "
          f"(batch {result['batch']}, {result['threads']} threads): {result['deliveries_per_s']:>6} /s "
          f"({result['ratio_to_bare']:.0%} of bare, {result['events']} events)")
    print(f"commit to delivery at {result['rate_achieved']} events/s: p50 {result['latency_ms_p50']} ms, "
          f"p99 {result['latency_ms_p99']} ms, max {result['latency_ms_max']} ms ({result['latency_events']} events)")
    if result["missing"]:
        print(f"MISSING: {result['missing']} events never reached the receiver")
        sys.exit(1)


if __name__ == "__main__":
    main()
