"""Benchmarks: seed a data set into PostgreSQL, serve it with gunicorn, drive it with wrk.

    scripts/bench seed [--listings 100000] [--members 1000]
    scripts/bench seed-profiles [--profiles 10000]
    scripts/bench run  [--rounds 5] [--duration 5] [--connections 16]
                       [--scenarios me,search,token,create,suggest-investors,suggest-technologies]

Every figure is measured next to the bare endpoint of the same app (/healthz) in the same run:
scenarios alternate with it in short rounds and the report gives the median of per-round ratios,
because this machine's speed drifts by 30% or more within a minute (see PERFORMANCE.md). Server
CPU per request is read from the gunicorn workers' /proc counters.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench"
STATE = ROOT / "instance" / "bench-state.json"
SECRET = "bench-secret-key-" + "b" * 32

# --- synthetic catalogue ---------------------------------------------------------------------

TOPICS = {
    "new_energy": [("solid-state battery", "固态电池"), ("sodium-ion cathode", "钠离子正极"), ("hydrogen electrolyser", "氢电解槽"),
                   ("perovskite solar cell", "钙钛矿太阳能电池"), ("battery recycling", "电池回收")],
    "biomedicine": [("mRNA vaccine delivery", "mRNA疫苗递送"), ("antibody drug conjugate", "抗体偶联药物"),
                    ("CRISPR gene editing", "基因编辑"), ("orthopaedic implant coating", "骨科植入物涂层")],
    "next_gen_it": [("EUV photoresist", "光刻胶"), ("quantum key distribution", "量子密钥分发"), ("edge AI accelerator", "边缘人工智能芯片"),
                    ("6G antenna array", "天线阵列")],
    "new_materials": [("carbon fibre recycling", "碳纤维回收"), ("graphene heat spreader", "石墨烯散热"), ("aerogel insulation", "气凝胶隔热")],
    "intelligent_manufacturing": [("digital twin for machining", "数字孪生加工"), ("laser additive manufacturing", "激光增材制造")],
    "robotics": [("surgical robot arm", "手术机器人"), ("legged robot control", "足式机器人控制")],
    "green_low_carbon": [("carbon capture sorbent", "碳捕集吸附剂"), ("low-carbon cement", "低碳水泥")],
    "marine": [("offshore wind foundation", "海上风电基础"), ("marine antifouling coating", "海洋防污涂层")],
}
ADJECTIVES = ["high-efficiency", "low-cost", "scalable", "compact", "high-temperature", "flexible", "modular", "durable"]
DEALS = ["assignment", "exclusive_license", "sole_license", "non_exclusive_license", "open_license", "pledge_financing",
         "equity_investment", "joint_development", "technical_service"]
COUNTRIES = ["CN"] * 6 + ["DE", "FR", "JP", "KR", "US", "GB", "SG", "CH"]
KINDS = ["university", "research_institute", "enterprise", "tech_transfer_agency", "investor", "financial_institution"]


def _synthetic_listing(rng: random.Random, owner_id: str, created: datetime) -> dict:
    from platform_api.technologies.models import deal_mask

    field = rng.choice(list(TOPICS))
    en, zh = rng.choice(TOPICS[field])
    adj = rng.choice(ADJECTIVES)
    deals = sorted(rng.sample(DEALS, rng.randint(1, 3)), key=DEALS.index)
    priced = rng.random() < 0.7
    return {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "owner_id": owner_id,
        "status": "published",
        "title": {"en": f"{adj.capitalize()} {en} {rng.randint(1, 9999)}", "zh": f"{zh}技术{rng.randint(1, 999)}"},
        "summary": {"en": f"A {adj} {en} technology with pilot-scale validation and granted patents.",
                    "zh": f"一种{zh}技术，已完成中试验证并获得专利授权。"},
        "keywords": [en, zh],
        "field": field,
        "ipc": [],
        "trl": rng.randint(1, 9),
        "ip_rights": [],
        "deal_types": deals,
        "deal_mask": deal_mask(deals),
        "price_amount": Decimal(rng.randint(10, 5000) * 10000) if priced else None,
        "price_currency": rng.choice(["CNY", "CNY", "EUR", "USD"]) if priced else None,
        "origin_country": rng.choice(COUNTRIES),
        "countries_available": ["CN"],
        "created_at": created,
        "updated_at": created,
        "published_at": created,
        "version": 1,
    }


def seed(args) -> None:
    from sqlalchemy import create_engine, insert, text

    from platform_api import migrate
    from platform_api.members.models import Member
    from platform_api.oauth.models import OAuthClient, Token
    from platform_api.security import new_secret, secret_hash
    from platform_api.technologies import search
    from platform_api.technologies.models import Technology

    url = args.database_url
    server_url, dbname = url.rsplit("/", 1)
    admin = create_engine(server_url.replace("+psycopg", "+psycopg") + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{dbname}"'))
    admin.dispose()
    migrate.upgrade(url)
    engine = create_engine(url)
    rng = random.Random(20261121)
    started = time.perf_counter()
    now = datetime.now(timezone.utc)
    with engine.begin() as conn:
        members = [
            {"id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "name": f"Bench member {i}", "kind": rng.choice(KINDS),
             "country": rng.choice(COUNTRIES), "status": "active", "created_at": now, "updated_at": now, "version": 1}
            for i in range(args.members)
        ]
        conn.execute(insert(Member), members)
        bench_member = members[0]["id"]
        client_secret = new_secret()
        client_pk = str(uuid.uuid4())
        client_id = "cl_bench_" + new_secret(6)
        conn.execute(insert(OAuthClient), [{
            "id": client_pk, "client_id": client_id, "member_id": bench_member, "name": "bench", "client_type": "confidential",
            "secret_hash": secret_hash(client_secret), "grant_types": ["client_credentials"],
            "scopes": ["members:read", "technologies:read", "technologies:write", "investors:read", "matches:read"],
            "redirect_uris": [], "created_at": now}])
        access = new_secret()
        conn.execute(insert(Token), [{
            "id": str(uuid.uuid4()), "access_token_hash": secret_hash(access), "client_pk": client_pk, "member_id": bench_member,
            "grant_type": "client_credentials", "scope": "members:read technologies:read technologies:write investors:read matches:read",
            "family_id": str(uuid.uuid4()), "issued_at": now, "expires_in": 86400 * 30,
            "access_expires_at": now + timedelta(days=30)}])
    done = 0
    batch = 5000
    with engine.connect() as conn:
        while done < args.listings:
            n = min(batch, args.listings - done)
            rows = [_synthetic_listing(rng, members[rng.randrange(len(members))]["id"], now - timedelta(seconds=done + i))
                    for i in range(n)]
            with conn.begin():
                conn.execute(insert(Technology), rows)
                docs = [SimpleNamespace(id=r["id"], title=r["title"], summary=r["summary"], keywords=r["keywords"], ipc=r["ipc"]) for r in rows]
                from sqlalchemy.orm import Session

                with Session(bind=conn) as s:
                    search.index_many(s, docs)
                    s.flush()
            done += n
            print(f"\rseeded {done}/{args.listings} listings", end="", file=sys.stderr)
        conn.execute(text("ANALYZE"))
        conn.commit()
    print(f"\nseed took {time.perf_counter() - started:.1f} s", file=sys.stderr)
    STATE.parent.mkdir(parents=True, exist_ok=True)
    STATE.write_text(json.dumps({"database_url": url, "client_id": client_id, "client_secret": client_secret,
                                 "access_token": access, "listings": args.listings, "members": args.members}))
    engine.dispose()


def seed_profiles(args) -> None:
    """Add investor profiles (through the service, as the API would) to a seeded database."""
    from sqlalchemy import create_engine, select, update
    from sqlalchemy.orm import Session

    from platform_api.investors import services as investors
    from platform_api.investors.schemas import ProfileCreateSchema
    from platform_api.members.models import Member
    from platform_api.oauth.models import Token
    from platform_api.technologies.models import Technology

    state = json.loads(STATE.read_text())
    engine = create_engine(state["database_url"])
    rng = random.Random(7)
    schema = ProfileCreateSchema()
    started = time.perf_counter()
    with Session(engine) as s:
        # The bench client's member keeps profiles too, so it may ask for both kinds of suggestion.
        bench_id = s.execute(select(Token.member_id).limit(1)).scalar_one()
        s.execute(update(Member).where(Member.id == bench_id).values(kind="investor"))
        s.execute(update(Token).values(scope="members:read technologies:read technologies:write investors:read "
                                             "investors:write matches:read"))
        investors_ = list(s.scalars(select(Member).where(Member.kind.in_(["investor", "financial_institution"]))))
        owners = [m for m in investors_ if m.id != bench_id]
        bench = s.get(Member, bench_id)
        for i in range(args.profiles):
            field_list = rng.sample(list(TOPICS), rng.randint(1, 3))
            words = [w for f in field_list for pair in TOPICS[f] for w in pair][:6]
            lo = rng.randint(1, 7)
            cur = rng.choice(["CNY", "CNY", "EUR", "USD"])
            tmin = rng.randint(10, 500) * 10000
            body = {"name": f"Mandate {i}", "fields": field_list, "trl_min": lo, "trl_max": rng.randint(lo, 9),
                    "ticket_min": {"amount": f"{tmin}.00", "currency": cur},
                    "ticket_max": {"amount": f"{tmin * rng.randint(2, 20)}.00", "currency": cur},
                    "countries": rng.sample(COUNTRIES[6:], 2) + ["CN"], "deal_types": sorted(rng.sample(DEALS, 3), key=DEALS.index),
                    "keywords": rng.sample(words, min(3, len(words)))}
            owner = bench if i < 20 else owners[rng.randrange(len(owners))]
            investors.create(session=s, owner=owner, data=schema.load(body))
            if i % 1000 == 999:
                s.commit()
                print(f"\rseeded {i + 1}/{args.profiles} profiles", end="", file=sys.stderr)
        s.commit()
        techs = list(s.scalars(select(Technology.id).where(Technology.owner_id == bench_id,
                                                           Technology.status == "published").limit(20)))
        from platform_api.investors.models import InvestorProfile

        profiles = list(s.scalars(select(InvestorProfile.id).where(InvestorProfile.owner_id == bench_id).limit(20)))
    state.update({"profiles": args.profiles, "own_technologies": techs, "own_profiles": profiles})
    STATE.write_text(json.dumps(state))
    print(f"\nprofiles took {time.perf_counter() - started:.1f} s ({len(techs)} own listings, {len(profiles)} own profiles)",
          file=sys.stderr)
    engine.dispose()


# --- load ------------------------------------------------------------------------------------

SEARCHES = [
    "/v1/technologies?q=battery&field=new_energy&trl_min=4",
    "/v1/technologies?q=%E5%85%89%E5%88%BB&field=next_gen_it&trl_min=3",  # 光刻
    "/v1/technologies?q=recycling&deal_type=assignment&trl_min=2",
    "/v1/technologies?q=solar%20cell&country=CN&trl_max=8",
    "/v1/technologies?q=%E5%9F%BA%E5%9B%A0%E7%BC%96%E8%BE%91&trl_min=2&deal_type=exclusive_license",  # 基因编辑
    "/v1/technologies?q=graphene&field=new_materials&trl_min=1",
]


def _lua(scenario: str, state: dict) -> str:
    bearer = f'wrk.headers["Authorization"] = "Bearer {state["access_token"]}"\n'
    if scenario == "ping":
        return 'wrk.path = "/healthz"\n'
    if scenario == "me":
        return bearer + 'wrk.path = "/v1/me"\n'
    if scenario == "search":
        paths = ", ".join(f'"{p}"' for p in SEARCHES)
        return bearer + f"local paths = {{{paths}}}\nlocal i = 0\nrequest = function()\n  i = i + 1\n" \
                        "  return wrk.format(nil, paths[(i % #paths) + 1])\nend\n"
    if scenario in ("suggest-investors", "suggest-technologies"):
        if scenario == "suggest-investors":
            paths = [f"/v1/technologies/{i}/suggested-investors" for i in state["own_technologies"]]
        else:
            paths = [f"/v1/investor-profiles/{i}/suggested-technologies" for i in state["own_profiles"]]
        listed = ", ".join(f'"{p}"' for p in paths)
        return bearer + f"local paths = {{{listed}}}\nlocal i = 0\nrequest = function()\n  i = i + 1\n" \
                        "  return wrk.format(nil, paths[(i % #paths) + 1])\nend\n"
    if scenario == "token":
        basic = base64.b64encode(f"{state['client_id']}:{state['client_secret']}".encode()).decode()
        return ('wrk.method = "POST"\nwrk.path = "/oauth/token"\n'
                'wrk.body = "grant_type=client_credentials&scope=technologies%3Aread"\n'
                'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
                f'wrk.headers["Authorization"] = "Basic {basic}"\n')
    if scenario == "create":
        body = json.dumps({"title": {"en": "Benchmark listing", "zh": "基准测试"}, "summary": {"en": "Created by the load test."},
                           "field": "new_energy", "trl": 5, "deal_types": ["assignment"], "origin_country": "CN"})
        return (bearer + 'wrk.method = "POST"\nwrk.path = "/v1/technologies"\n'
                'wrk.headers["Content-Type"] = "application/json"\n' f"wrk.body = {json.dumps(body)}\n")
    raise SystemExit(f"unknown scenario {scenario}")


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(value: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s|m)$", value.strip())
    return float(m.group(1)) * _UNITS[m.group(2)] if m else float("nan")


def _worker_cpu(master_pid: int) -> float:
    """CPU seconds used so far by the gunicorn master's children."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat[1]) == master_pid:
            total += (int(stat[11]) + int(stat[12])) / tick
    return total


def _wrk(url: str, lua: str, duration: int, connections: int, master_pid: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(lua + '\ndone = function(summary, latency, requests)\n'
                       '  io.write(string.format("p95-us %d\\n", latency:percentile(95)))\nend\n')
        script = fh.name
    cpu_before = _worker_cpu(master_pid)
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-s", script, url],
                         capture_output=True, text=True, check=True).stdout
    cpu = _worker_cpu(master_pid) - cpu_before
    os.unlink(script)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0
    socket_errors = sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    lat = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.M))  # wrk prints no p95
    p95 = float(m.group(1)) / 1000 if (m := re.search(r"p95-us (\d+)", out)) else float("nan")
    return {"rps": rps, "p50": _ms(lat.get("50", "nan")), "p95": p95, "p99": _ms(lat.get("99", "nan")),
            "errors": non2xx + socket_errors,
            "requests": total, "cpu_ms_per_req": 1000 * cpu / total if total else float("nan")}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(args) -> None:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    state = json.loads(STATE.read_text())
    port = _free_port()
    instance = tempfile.mkdtemp(prefix="bench-instance-")
    env = {**os.environ, "DATABASE_URL": state["database_url"], "SECRET_KEY": SECRET, "PLATFORM_ENV": "production",
           "PLATFORM_ISSUER": "https://bench.example", "PLATFORM_RATE_LIMIT": "100000000/minute",
           "PLATFORM_INSTANCE_PATH": instance, "PLATFORM_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(args.workers),
           "AUTHLIB_INSECURE_TRANSPORT": "1", "FORWARDED_ALLOW_IPS": "127.0.0.1",
           "GUNICORN_MAX_REQUESTS": "100000000"}
    log = open(Path(instance) / "server.log", "w")
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "config" / "gunicorn.conf.py")],
                              env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base)
        scenarios = [s for s in args.scenarios.split(",") if s != "ping"]
        results: dict[str, list[dict]] = {s: [] for s in ["ping", *scenarios]}
        warm = {s: _lua(s, state) for s in results}
        for s in results:  # warm-up: connection pools, caches, JIT-free but import-heavy first requests
            _wrk(base, warm[s], 1, args.connections, server.pid)
        for r in range(args.rounds):
            for s in scenarios:
                results["ping"].append(_wrk(base, warm["ping"], args.duration, args.connections, server.pid))
                results[s].append(_wrk(base, warm[s], args.duration, args.connections, server.pid))
            print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
        _report(results, scenarios, state, args)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
        shutil.rmtree(instance, ignore_errors=True)


def _wait_ready(base: str) -> None:
    import urllib.request

    for _ in range(120):
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.25)
    raise SystemExit("the server did not become ready")


def _report(results: dict, scenarios: list[str], state: dict, args) -> None:
    ping = results["ping"]
    print(f"\n{state['listings']:,} listings, {state['members']:,} members; gunicorn -w {args.workers} -k sync; "
          f"wrk -t2 -c{args.connections}; {args.rounds} rounds x {args.duration} s; medians\n")
    head = (f"{'scenario':<21} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7} "
            f"{'CPU ms/req':>11} {'vs bare':>8}")
    print(head)
    print("-" * len(head))
    med = lambda rows, k: statistics.median(r[k] for r in rows)  # noqa: E731
    print(f"{'bare':<21} {med(ping, 'rps'):>8.0f} {med(ping, 'p50'):>8.2f} {med(ping, 'p95'):>8.2f} {med(ping, 'p99'):>8.2f} "
          f"{sum(r['errors'] for r in ping):>7} {med(ping, 'cpu_ms_per_req'):>11.2f} {'100%':>8}")
    for s in scenarios:
        rows = results[s]
        # the bare run right before each scenario run is its baseline
        pairs = [(row, ping[i * len(scenarios) + scenarios.index(s)]) for i, row in enumerate(rows)]
        ratio = statistics.median(row["rps"] / base["rps"] for row, base in pairs)
        print(f"{s:<21} {med(rows, 'rps'):>8.0f} {med(rows, 'p50'):>8.2f} {med(rows, 'p95'):>8.2f} {med(rows, 'p99'):>8.2f} "
              f"{sum(r['errors'] for r in rows):>7} {med(rows, 'cpu_ms_per_req'):>11.2f} {ratio:>8.0%}")


def main() -> None:
    sys.path.insert(0, str(ROOT))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p_seed = sub.add_parser("seed", help="(re)create the bench database and seed it")
    p_seed.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    p_seed.add_argument("--listings", type=int, default=100_000)
    p_seed.add_argument("--members", type=int, default=1_000)
    p_prof = sub.add_parser("seed-profiles", help="add investor profiles to the seeded database")
    p_prof.add_argument("--profiles", type=int, default=10_000)
    p_run = sub.add_parser("run", help="serve the seeded database and measure")
    p_run.add_argument("--rounds", type=int, default=5)
    p_run.add_argument("--duration", type=int, default=5)
    p_run.add_argument("--connections", type=int, default=16)
    p_run.add_argument("--workers", type=int, default=2)
    p_run.add_argument("--scenarios", default="me,search,token")
    args = parser.parse_args()
    {"seed": seed, "seed-profiles": seed_profiles, "run": run}[args.command](args)


if __name__ == "__main__":
    main()
