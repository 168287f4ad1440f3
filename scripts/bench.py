"""Benchmarks: seed a data set into PostgreSQL, serve it with gunicorn, drive it with wrk.

    scripts/bench seed [--listings 100000] [--members 1000]
    scripts/bench seed-profiles [--profiles 10000]
    scripts/bench run  [--rounds 5] [--duration 5] [--connections 16]
                       [--scenarios me,search,token,create,suggest-investors,suggest-technologies]
                       # create,create-no-outbox: what the event log costs a create, same code
                       # search: 6 queries repeated (warm); search-cold: thousands, never repeated
    scripts/bench faults   [--cuts 3] [--interval 3]   # terminate the database's backends under load
    scripts/bench shutdown                             # SIGTERM the gunicorn master under write load
    scripts/bench soak     [--minutes 10]              # moderate mixed load, worker RSS every minute

Every command takes --state PATH (default instance/bench-state.json): the file `seed` writes
(database URL, client credentials, a token) and the others read, so that runs against different
databases do not overwrite each other's.

`run` measures every figure next to the bare endpoint of the same app (/healthz) in the same run:
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
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_catalogue import Vocabulary  # noqa: E402  (scripts/ is not a package)

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


VOCABULARY = Vocabulary()
COLD_QUERIES = 30_000  # distinct queries of the search-cold scenario: more than a whole run sends


def _synthetic_listing(rng: random.Random, owner_id: str, created: datetime) -> dict:
    from platform_api.technologies.models import deal_mask

    field = rng.choice(list(TOPICS))
    texts = VOCABULARY.texts(rng)
    deals = sorted(rng.sample(DEALS, rng.randint(1, 3)), key=DEALS.index)
    priced = rng.random() < 0.7
    return {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "owner_id": owner_id,
        "status": "published",
        "title": texts["title"],
        "summary": texts["summary"],
        "keywords": texts["keywords"],
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
    _vacuum(url)
    print(f"\nseed took {time.perf_counter() - started:.1f} s", file=sys.stderr)
    state_path = Path(args.state)
    state_path.parent.mkdir(parents=True, exist_ok=True)
    state_path.write_text(json.dumps({"database_url": url, "client_id": client_id, "client_secret": client_secret,
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

    state = json.loads(Path(args.state).read_text())
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
    Path(args.state).write_text(json.dumps(state))
    _vacuum(state["database_url"])
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


OFF_OUTBOX = "create-no-outbox"  # the create scenario served by the app with the event log taken out
CREATED_TITLE = "Benchmark listing"  # what the create scenario's listings are called (and found by)


def _cold_queries_file() -> str:
    """The search-cold scenario's queries, one per line (written once per run)."""
    global _COLD_FILE
    if _COLD_FILE is None:
        with tempfile.NamedTemporaryFile("w", suffix=".txt", prefix="bench-cold-", delete=False) as fh:
            fh.write("\n".join(VOCABULARY.queries(COLD_QUERIES, fields=list(TOPICS))) + "\n")
            _COLD_FILE = fh.name
    return _COLD_FILE


_COLD_FILE: str | None = None


def _lua(scenario: str, state: dict, offset: int = 0) -> str:
    bearer = f'wrk.headers["Authorization"] = "Bearer {state["access_token"]}"\n'
    if scenario == "search-cold":
        # Each wrk thread walks its own stride of the file from `offset` (what earlier rounds sent):
        # no query is sent twice in a run until all of the file has been (see COLD_QUERIES).
        return bearer + (
            f'local paths = {{}}\nfor line in io.lines("{_cold_queries_file()}") do paths[#paths + 1] = line end\n'
            "local threads = 0\nfunction setup(thread)\n  thread:set(\"tid\", threads)\n  threads = threads + 1\nend\n"
            f"local i = nil\nrequest = function()\n  if i == nil then i = {offset} + tid end\n"
            "  local path = paths[(i % #paths) + 1]\n  i = i + 2\n  return wrk.format(nil, path)\nend\n"
        )
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
    if scenario in ("create", OFF_OUTBOX):
        body = json.dumps({"title": {"en": CREATED_TITLE, "zh": "基准测试"}, "summary": {"en": "Created by the load test."},
                           "field": "new_energy", "trl": 5, "deal_types": ["assignment"], "origin_country": "CN"})
        return (bearer + 'wrk.method = "POST"\nwrk.path = "/v1/technologies"\n'
                'wrk.headers["Content-Type"] = "application/json"\n' f"wrk.body = {json.dumps(body)}\n")
    raise SystemExit(f"unknown scenario {scenario}")


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(value: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s|m)$", value.strip())
    return float(m.group(1)) * _UNITS[m.group(2)] if m else float("nan")


def _worker_cpu(master_pid: int) -> tuple[float, float]:
    """CPU seconds used so far by the gunicorn master's children, and by PostgreSQL's processes."""
    workers = database = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            name, stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)
        except OSError:
            continue
        stat = stat.split()
        used = (int(stat[11]) + int(stat[12])) / tick
        if int(stat[1]) == master_pid:
            workers += used
        elif name.endswith("(postgres"):
            database += used
    return workers, database


def _wrk(url: str, lua: str, duration: int, connections: int, master_pid: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(lua + '\ndone = function(summary, latency, requests)\n'
                       '  io.write(string.format("p95-us %d\\n", latency:percentile(95)))\nend\n')
        script = fh.name
    cpu_before, db_before = _worker_cpu(master_pid)
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-s", script, url],
                         capture_output=True, text=True, check=True).stdout
    cpu_after, db_after = _worker_cpu(master_pid)
    cpu, db_cpu = cpu_after - cpu_before, db_after - db_before
    os.unlink(script)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0
    socket_errors = sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    lat = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.M))  # wrk prints no p95
    p95 = float(m.group(1)) / 1000 if (m := re.search(r"p95-us (\d+)", out)) else float("nan")
    return {"rps": rps, "p50": _ms(lat.get("50", "nan")), "p95": p95, "p99": _ms(lat.get("99", "nan")),
            "errors": non2xx + socket_errors,
            "requests": total, "cpu_ms_per_req": 1000 * cpu / total if total else float("nan"),
            "db_ms_per_req": 1000 * db_cpu / total if total else float("nan")}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _vacuum(url: str, table: str = "") -> None:
    """VACUUM ANALYZE: fresh planner statistics and visibility maps, as autovacuum would leave them."""
    import psycopg

    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        conn.execute(f"VACUUM ANALYZE {table}")


def _forget_earlier_runs(state: dict) -> None:
    """Every run starts from the seeded data: the tokens that earlier runs issued (tens of
    thousands a run) would grow the token table and its indexes from run to run, and the drafts
    that `create` made (thousands a run, all the bench member's) would make that member's searches
    merge in thousands of its own unpublished listings."""
    import psycopg

    from platform_api.security import secret_hash

    drafts = "SELECT id FROM technologies WHERE title->>'en' = %s"
    with psycopg.connect(_libpq(state["database_url"]), autocommit=True) as conn:
        with conn.transaction():
            conn.execute("DELETE FROM oauth_tokens WHERE access_token_hash <> %s", (secret_hash(state["access_token"]),))
            for table in ("technology_search", "technology_offices", "matches"):
                conn.execute(f"DELETE FROM {table} WHERE technology_id IN ({drafts})", (CREATED_TITLE,))
            conn.execute(f"DELETE FROM technologies WHERE id IN ({drafts})", (CREATED_TITLE,))
    _vacuum(state["database_url"])


def run(args) -> None:
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    state = json.loads(Path(args.state).read_text())
    _forget_earlier_runs(state)
    scenarios = [s for s in args.scenarios.split(",") if s != "ping"]
    servers: dict[str, SimpleNamespace] = {}
    try:
        servers["app"] = _start_server(state, args.workers)
        if OFF_OUTBOX in scenarios:  # the same code with the event log taken out, beside it
            servers[OFF_OUTBOX] = _start_server(state, args.workers, config=ROOT / "scripts" / "bench_no_outbox.conf.py")
        served = {s: servers.get(s, servers["app"]) for s in ["ping", *scenarios]}
        results: dict[str, list[dict]] = {s: [] for s in served}
        lua = {s: _lua(s, state) for s in served}
        sent = {}
        for s, server in served.items():  # warm-up: connection pools, caches, first requests
            sent[s] = _wrk(server.base, lua[s], 1, args.connections, server.pid)["requests"]
        for r in range(args.rounds):
            for s in scenarios:
                results["ping"].append(_wrk(served["ping"].base, lua["ping"], args.duration, args.connections,
                                            served["ping"].pid))
                script = _lua(s, state, sent[s]) if s == "search-cold" else lua[s]
                results[s].append(_wrk(served[s].base, script, args.duration, args.connections, served[s].pid))
                sent[s] += results[s][-1]["requests"]
            print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
        _report(results, scenarios, state, args)
    finally:
        for server in servers.values():
            _stop_server(server)
        if _COLD_FILE is not None:
            os.unlink(_COLD_FILE)


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
            f"{'CPU ms/req':>11} {'DB ms/req':>10} {'vs bare':>8}")
    print(head)
    print("-" * len(head))
    med = lambda rows, k: statistics.median(r[k] for r in rows)  # noqa: E731
    print(f"{'bare':<21} {med(ping, 'rps'):>8.0f} {med(ping, 'p50'):>8.2f} {med(ping, 'p95'):>8.2f} {med(ping, 'p99'):>8.2f} "
          f"{sum(r['errors'] for r in ping):>7} {med(ping, 'cpu_ms_per_req'):>11.2f} {med(ping, 'db_ms_per_req'):>10.2f} "
          f"{'100%':>8}")
    for s in scenarios:
        rows = results[s]
        # the bare run right before each scenario run is its baseline
        pairs = [(row, ping[i * len(scenarios) + scenarios.index(s)]) for i, row in enumerate(rows)]
        ratio = statistics.median(row["rps"] / base["rps"] for row, base in pairs)
        print(f"{s:<21} {med(rows, 'rps'):>8.0f} {med(rows, 'p50'):>8.2f} {med(rows, 'p95'):>8.2f} {med(rows, 'p99'):>8.2f} "
              f"{sum(r['errors'] for r in rows):>7} {med(rows, 'cpu_ms_per_req'):>11.2f} {med(rows, 'db_ms_per_req'):>10.2f} "
              f"{ratio:>8.0%}")
    if "search" in scenarios or "search-cold" in scenarios:
        print(f"\nsearch: {len(SEARCHES)} queries repeated (warm: each worker's result cache answers); search-cold: "
              f"{COLD_QUERIES:,} distinct queries from the catalogue's vocabulary, none sent twice in the run")
    if "create" in scenarios and OFF_OUTBOX in scenarios:
        on, off = results["create"], results[OFF_OUTBOX]
        extra = statistics.median(b["rps"] / a["rps"] - 1 for a, b in zip(on, off))
        cpu = statistics.median(a["cpu_ms_per_req"] + a["db_ms_per_req"] - b["cpu_ms_per_req"] - b["db_ms_per_req"]
                                for a, b in zip(on, off))
        print(f"\nthe outbox on a create: {extra:.1%} more time per request (median of {len(on)} rounds' "
              f"req/s ratios, off/on - 1); {cpu:+.2f} ms of CPU per request (workers + database)")


# --- robustness: database faults, shutdown under load, soak ----------------------------------


def _start_server(state: dict, workers: int, config: Path | None = None, **extra_env) -> SimpleNamespace:
    """gunicorn with config/gunicorn.conf.py (or `config`) on a free port, in its own session."""
    port = _free_port()
    instance = tempfile.mkdtemp(prefix="bench-instance-")
    env = {**os.environ, "DATABASE_URL": state["database_url"], "SECRET_KEY": SECRET, "PLATFORM_ENV": "production",
           "PLATFORM_ISSUER": "https://bench.example", "PLATFORM_RATE_LIMIT": "100000000/minute",
           "PLATFORM_INSTANCE_PATH": instance, "PLATFORM_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(workers),
           "AUTHLIB_INSECURE_TRANSPORT": "1", "FORWARDED_ALLOW_IPS": "127.0.0.1",
           "GUNICORN_MAX_REQUESTS": "100000000", **extra_env}
    log_path = Path(instance) / "server.log"
    log = open(log_path, "w")
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(config or ROOT / "config" / "gunicorn.conf.py")],
                            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    server = SimpleNamespace(proc=proc, pid=proc.pid, base=base, port=port, instance=instance, log=log, log_path=log_path)
    try:
        _wait_ready(base)
    except BaseException:
        _stop_server(server)
        raise
    server.boot_s = time.monotonic() - started
    return server


def _stop_server(server: SimpleNamespace) -> str:
    """Stop gunicorn (SIGTERM to its process group), remove its instance folder, return its log."""
    if server.proc.poll() is None:
        try:
            os.killpg(server.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            server.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.proc.wait()
    server.log.close()
    text_ = server.log_path.read_text(errors="replace")
    shutil.rmtree(server.instance, ignore_errors=True)
    return text_


def _workers(master_pid: int) -> list[int]:
    out = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == master_pid:
                out.append(int(pid))
    return sorted(out)


def _rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _create_body(title: str) -> bytes:
    return json.dumps({"title": {"en": title, "zh": "故障测试"}, "summary": {"en": "Created by the robustness bench."},
                       "field": "new_energy", "trl": 5, "deal_types": ["assignment"], "origin_country": "CN"}).encode()


def _request(base: str, state: dict, kind: str, key: str | None = None, tag: str = "") -> dict:
    """One request on a fresh connection (sync workers close it anyway); records what came back."""
    import http.client

    host, port = base.rsplit("//", 1)[1].split(":")
    headers = {"Authorization": f"Bearer {state['access_token']}"}
    body = None
    if kind == "create":
        method, path, body = "POST", "/v1/technologies", _create_body(f"{tag} {key}")
        headers.update({"Content-Type": "application/json", "Idempotency-Key": key})
    elif kind == "search":
        method, path = "GET", random.choice(SEARCHES)
    elif kind == "token":
        method, path = "POST", "/oauth/token"
        basic = base64.b64encode(f"{state['client_id']}:{state['client_secret']}".encode()).decode()
        headers = {"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"}
        body = b"grant_type=client_credentials&scope=technologies%3Aread"
    else:
        method, path = "GET", "/v1/me"
    rec = {"kind": kind, "key": key, "t0": time.monotonic(), "status": None, "body": None, "error": None,
           "replayed": False}
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        rec["status"] = resp.status
        rec["replayed"] = resp.getheader("Idempotent-Replayed") == "true"
        ctype = (resp.getheader("Content-Type") or "").split(";")[0].strip()
        try:
            doc = json.loads(data)
        except ValueError:
            doc = None
        if ctype == "application/problem+json" and isinstance(doc, dict) and doc.get("status") == resp.status:
            rec["body"] = "problem+json"
        elif ctype == "application/json" and doc is not None:
            rec["body"] = "json"
        else:
            rec["body"] = f"{ctype or 'no content-type'} ({len(data)} bytes)"
    except (OSError, http.client.HTTPException) as exc:
        rec["error"] = type(exc).__name__
    finally:
        conn.close()
    rec["t1"] = time.monotonic()
    return rec


class _Load:
    """A few client threads sending a weighted mix of requests; every request is recorded."""

    def __init__(self, base: str, state: dict, mix: dict[str, int], threads: int, tag: str):
        import threading

        self.base, self.state, self.tag = base, state, tag
        self.kinds = [k for k, w in mix.items() for _ in range(w)]
        self.records: list[dict] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._n = 0
        self._threads = [threading.Thread(target=self._loop, args=(i,), daemon=True) for i in range(threads)]

    def _next_key(self) -> str:
        with self._lock:
            self._n += 1
            return f"{self.tag}-{self._n:06d}"

    def _loop(self, i: int) -> None:
        rng = random.Random(i)
        while not self._stop.is_set():
            kind = rng.choice(self.kinds)
            rec = _request(self.base, self.state, kind, self._next_key() if kind == "create" else None, self.tag)
            self.records.append(rec)
            if rec["error"] == "ConnectionRefusedError":
                time.sleep(0.05)  # nothing listens (shutdown): do not spin

    def start(self) -> "_Load":
        for t in self._threads:
            t.start()
        return self

    def stop(self) -> list[dict]:
        self._stop.set()
        for t in self._threads:
            t.join()
        return self.records


def _outcome(rec: dict) -> str:
    if rec["error"]:
        return f"connection error ({rec['error']})"
    return f"{rec['status']} {rec['body']}"


def _tally(records: list[dict]) -> str:
    from collections import Counter

    counts = Counter(_outcome(r) for r in records)
    return ", ".join(f"{n} x {k}" for k, n in counts.most_common()) or "none"


def _stored_titles(url: str, tag: str) -> dict[str, int]:
    """key -> number of listings whose English title names it."""
    import psycopg

    with psycopg.connect(_libpq(url)) as conn:
        rows = conn.execute("SELECT title->>'en', count(*) FROM technologies WHERE title->>'en' LIKE %s GROUP BY 1",
                            (tag + " %",)).fetchall()
    return {t.split(" ", 1)[1]: n for t, n in rows}


def _leftover_claims(url: str, tag: str) -> int:
    import psycopg

    with psycopg.connect(_libpq(url)) as conn:
        return conn.execute("SELECT count(*) FROM idempotency_records WHERE key LIKE %s AND state = 'in_progress'",
                            (tag + "-%",)).fetchone()[0]


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _check_writes(url: str, tag: str, creates: list[dict], retried: list[dict] | None = None) -> bool:
    """Every 201 is stored exactly once, and nothing is stored without a 201."""
    stored = _stored_titles(url, tag)
    answered = {r["key"] for r in creates if r["status"] == 201}
    answered |= {r["key"] for r in (retried or []) if r["status"] == 201}
    lost = sorted(answered - set(stored))
    unanswered = sorted(set(stored) - answered)
    dupes = sorted(k for k, n in stored.items() if n > 1)
    print(f"  writes: {len(creates)} creating POSTs, {len(answered)} answered 201, {len(stored)} stored; "
          f"201 but not stored: {len(lost)}; stored without a 201: {len(unanswered)}; stored twice: {len(dupes)}")
    for what, keys in (("201 but not stored", lost), ("stored without a 201", unanswered), ("stored twice", dupes)):
        if keys:
            print(f"    {what}: {', '.join(keys[:10])}{' ...' if len(keys) > 10 else ''}")
    claims = _leftover_claims(url, tag)
    if claims:
        print(f"  idempotency claims left 'in_progress' for this run's keys: {claims} "
              f"(a retry with such a key gets 409 until {int(STALE_CLAIM_S)} s after the claim)")
    return not lost and not unanswered and not dupes


STALE_CLAIM_S = 120  # platform_api.api.idempotency.STALE_AFTER


def _retry_failed(base: str, state: dict, tag: str, creates: list[dict]) -> list[dict]:
    """What a well-behaved client does after a failed POST: send it again with the same key."""
    failed = [r for r in creates if r["status"] != 201]
    out = []
    for r in failed:
        out.append(_request(base, state, "create", r["key"], tag))
    if failed:
        from collections import Counter

        counts = Counter(_outcome(r) + (" (replayed)" if r["replayed"] else "") for r in out)
        print(f"  retried the {len(failed)} failed POSTs with their Idempotency-Key: "
              + ", ".join(f"{n} x {k}" for k, n in counts.most_common()))
        for first, again in zip(failed, out):
            if again["status"] != 201:
                print(f"    {first['key']}: first {_outcome(first)}, retry {_outcome(again)}")
    return out


def _smoke(base: str, state: dict, tag: str, n: int = 10) -> list[dict]:
    recs = []
    for i in range(n):
        for kind in ("me", "search", "token", "create"):
            recs.append(_request(base, state, kind, f"{tag}-smoke-{i:03d}" if kind == "create" else None, tag))
    return recs


def _terminate_backends(url: str) -> int:
    import psycopg

    dbname = url.rsplit("/", 1)[1].split("?")[0]
    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        rows = conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = %s AND pid <> pg_backend_pid()", (dbname,)).fetchall()
    return sum(1 for (ok,) in rows if ok)


def _guard_database(state: dict, allow: bool) -> None:
    """faults terminates every connection to the database: only do that to an idle bench database."""
    import psycopg

    url = state["database_url"]
    dbname = url.rsplit("/", 1)[1].split("?")[0]
    if allow:
        return
    if not dbname.startswith("bench"):
        raise SystemExit(f"refusing to disturb database {dbname!r} (not a bench database); pass --i-own-this-database")
    with psycopg.connect(_libpq(url)) as conn:
        others = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                              (dbname,)).fetchone()[0]
    if others:
        raise SystemExit(f"database {dbname!r} has {others} other connections (someone else is using it?); "
                         "seed a database of your own (see --state) or pass --i-own-this-database")


def _tracebacks(log: str, limit: int = 3) -> str:
    """The server log's tracebacks (up to `limit`), each to the exception line."""
    out, lines, i = [], log.splitlines(), 0
    while i < len(lines) and len(out) < limit:
        if lines[i].startswith("Traceback"):
            j = i + 1
            while j < len(lines) and (lines[j].startswith((" ", "\t")) or not lines[j].strip()):
                j += 1
            out.append("\n".join("    | " + l for l in lines[max(0, i - 1):j + 1]))
            i = j
        i += 1
    return "\n".join(out)


def faults(args) -> None:
    """Cut the service's database connections under load; every failure must be a clean 503."""
    state = json.loads(Path(args.state).read_text())
    _guard_database(state, args.i_own_this_database)
    url = state["database_url"]
    tag = f"fault-{uuid.uuid4().hex[:8]}"
    server = _start_server(state, args.workers)
    ok = True
    try:
        workers_before = _workers(server.pid)
        _smoke(server.base, state, tag + "w", 2)  # warm-up (its listings are not counted)
        load = _Load(server.base, state, {"me": 3, "search": 2, "token": 1, "create": 4}, args.clients, tag).start()
        time.sleep(args.settle)
        kills = []
        for i in range(args.cuts):
            t = time.monotonic()
            kills.append((t, _terminate_backends(url)))
            time.sleep(args.interval)
        records = load.stop()
        t_end = time.monotonic()
        creates = [r for r in records if r["kind"] == "create"]
        bad = [r for r in records if r["status"] not in (200, 201) and not (r["status"] == 503 and r["body"] == "problem+json")]
        print(f"\nfaults: gunicorn -w {args.workers}, {args.clients} client threads (me 3 : search 2 : token 1 : create 4), "
              f"{args.cuts} cuts {args.interval:g} s apart; database {url.rsplit('/', 1)[1]}")
        print(f"  requests: {len(records)}; outcomes: {_tally(records)}")
        print(f"  failures other than 503 problem+json: {len(bad)}" + (f" ({_tally(bad)})" if bad else ""))
        ok &= not bad
        failed_all = [r for r in records if r["status"] not in (200, 201)]
        if failed_all:
            from collections import Counter

            by_kind = Counter(r["kind"] for r in failed_all)
            print("  failed requests by kind: " + ", ".join(f"{k} {n}" for k, n in by_kind.most_common()))
        for i, (t, n) in enumerate(kills):
            t_next = kills[i + 1][0] if i + 1 < len(kills) else t_end
            window = [r for r in records if t <= r["t1"] < t_next]  # answered after this cut, before the next
            failed = [r for r in window if r["status"] not in (200, 201)]
            if failed:
                last_fail = max(r["t1"] for r in failed)
                after = [r for r in window if r["t0"] >= last_fail]
                first_ok = min((r["t1"] for r in after if r["status"] in (200, 201)), default=float("nan"))
                recovered = f"last failure answered {1000 * (last_fail - t):.0f} ms after the cut, first success after " \
                            f"it {1000 * (first_ok - t):.0f} ms after the cut; then {len(after)} requests " \
                            f"{'all OK' if all(r['status'] in (200, 201) for r in after) else 'NOT all OK'}"
            else:
                recovered = "no request failed"
            print(f"  cut {i + 1} at +{t - records[0]['t0']:.1f} s: {n} backends terminated; failed: {len(failed)} "
                  f"({_tally(failed) if failed else '-'}); {recovered}")
        workers_after = _workers(server.pid)
        restarted = workers_before != workers_after
        print(f"  workers before {workers_before}, after {workers_after}: "
              f"{'a worker was replaced' if restarted else 'same processes, no restart'}")
        retried = _retry_failed(server.base, state, tag, creates)
        smoke = _smoke(server.base, state, tag + "s", 5)
        smoke_ok = all(r["status"] in (200, 201) for r in smoke)
        print(f"  afterwards, without restart: {len(smoke)} sequential me/search/token/create requests: {_tally(smoke)}")
        ok &= smoke_ok and not restarted
        ok &= _check_writes(url, tag, creates, retried)
        log = _stop_server(server)
    except BaseException:
        _stop_server(server)
        raise
    tracebacks = log.count("Traceback")
    print(f"  server log: {log.count('database unavailable')} 'database unavailable' lines, {tracebacks} tracebacks, "
          f"{log.count('WORKER TIMEOUT')} worker timeouts")
    if tracebacks:
        print(_tracebacks(log))
    if args.show_log:
        print(log)
    print("  result:", "PASS" if ok else "FAIL")
    if not ok:
        raise SystemExit(1)


def shutdown(args) -> None:
    """SIGTERM the gunicorn master under write load: no answered write lost; restart and confirm."""
    state = json.loads(Path(args.state).read_text())
    url = state["database_url"]
    tag = f"term-{uuid.uuid4().hex[:8]}"
    server = _start_server(state, args.workers)
    ok = True
    try:
        _smoke(server.base, state, tag + "w", 2)
        load = _Load(server.base, state, {"me": 1, "create": 4}, args.clients, tag).start()
        time.sleep(args.settle)
        workers = _workers(server.pid)
        t_term = time.monotonic()
        os.kill(server.pid, signal.SIGTERM)
        server.proc.wait(timeout=300)
        t_exit = time.monotonic()
        time.sleep(0.5)
        records = load.stop()
    finally:
        log = _stop_server(server)
    stray = [p for p in workers if Path(f"/proc/{p}").exists()]
    before = [r for r in records if r["t1"] < t_term]
    inflight = [r for r in records if r["t0"] < t_term <= r["t1"]]
    after = [r for r in records if r["t0"] >= t_term]
    graceful = os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30")
    print(f"\nshutdown: gunicorn -w {args.workers}, {args.clients} client threads (me 1 : create 4), "
          f"SIGTERM to the master after {args.settle:g} s (graceful_timeout {graceful} s)")
    print(f"  master exited {1000 * (t_exit - t_term):.0f} ms after SIGTERM with status {server.proc.returncode}; "
          f"workers left running: {len(stray)}")
    print(f"  answered before SIGTERM: {len(before)} ({_tally(before)})")
    print(f"  in flight at SIGTERM:    {len(inflight)} ({_tally(inflight)})")
    print(f"  sent after SIGTERM:      {len(after)} ({_tally(after)})")
    bad = [r for r in records if r["status"] is not None and r["status"] >= 500]
    if bad:
        print(f"  5xx answers: {_tally(bad)}")
    ok &= not stray and not bad
    if server.proc.returncode != 0:
        print(f"  WARNING: the master exited with status {server.proc.returncode} after SIGTERM (expected 0)")
    print(f"  server log: {log.count('Traceback')} tracebacks; "
          f"{'; '.join(l.split('] ', 1)[-1] for l in log.splitlines() if 'signal' in l.lower() or 'exiting' in l.lower())[:400]}")
    if "Traceback" in log:
        print(_tracebacks(log))
    if args.show_log:
        print(log)
    server = _start_server(state, args.workers)
    try:
        print(f"  restarted: ready after {server.boot_s:.2f} s")
        creates = [r for r in records if r["kind"] == "create"]
        # first without retries: what the SIGTERM itself did
        stored = _stored_titles(url, tag)
        answered = {r["key"] for r in creates if r["status"] == 201}
        lost = answered - set(stored)
        print(f"  before any retry: {len(answered)} creates answered 201, {len(lost)} of them not stored "
              f"(committed writes lost); {len(creates) - len(answered)} unanswered, of which stored: "
              f"{len(set(stored) - answered)}")
        ok &= not lost
        retried = _retry_failed(server.base, state, tag, creates)
        smoke = _smoke(server.base, state, tag + "s", 5)
        print(f"  after restart: {len(smoke)} sequential me/search/token/create requests: {_tally(smoke)}")
        ok &= all(r["status"] in (200, 201) for r in smoke)
        ok &= _check_writes(url, tag, creates, retried)
    finally:
        _stop_server(server)
    print("  result:", "PASS" if ok else "FAIL")
    if not ok:
        raise SystemExit(1)


def soak(args) -> None:
    """Moderate mixed load for N minutes; worker RSS every minute and the error count."""
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    state = json.loads(Path(args.state).read_text())
    _forget_earlier_runs(state)  # as `run` does: the same searches cost what they cost after seeding
    extra = {} if args.max_requests is None else {"GUNICORN_MAX_REQUESTS": str(args.max_requests)}
    server = _start_server(state, args.workers, **extra)
    basic = base64.b64encode(f"{state['client_id']}:{state['client_secret']}".encode()).decode()
    bearer = f'["Authorization"] = "Bearer {state["access_token"]}"'
    lines = [f'  reqs[#reqs + 1] = wrk.format("GET", "/v1/me", {{{bearer}}})'] * 4
    lines += [f'  reqs[#reqs + 1] = wrk.format("GET", "{p}", {{{bearer}}})' for p in SEARCHES[:2]]
    lines += ['  reqs[#reqs + 1] = wrk.format("POST", "/oauth/token", {["Authorization"] = "Basic ' + basic + '", '
              '["Content-Type"] = "application/x-www-form-urlencoded"}, '
              '"grant_type=client_credentials&scope=technologies%3Aread")'] * 2
    lua = ("local reqs = {}\nlocal i = 0\nrequest = function()\n  if #reqs == 0 then\n" + "\n".join(lines) +
           "\n  end\n  i = i + 1\n  return reqs[(i % #reqs) + 1]\nend\n")
    samples = []

    def sample(label: str) -> None:
        pids = _workers(server.pid)
        samples.append((label, {p: _rss_mib(p) for p in pids}))
        print(f"  {label:<16} " + "  ".join(f"pid {p}: {_rss_mib(p):6.1f} MiB" for p in pids), file=sys.stderr)

    try:
        sample("after boot")
        _wrk(server.base, lua, 5, args.connections, server.pid)  # warm-up
        sample("after warm-up")
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
            fh.write(lua)
            script = fh.name
        total = max(1, round(args.minutes * 60))
        cpu0 = _worker_cpu(server.pid)[0]
        wrk = subprocess.Popen(["wrk", "-t2", f"-c{args.connections}", f"-d{total}s", "--latency", "-s", script, server.base],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        t0 = time.monotonic()
        minute = 0
        while wrk.poll() is None:
            time.sleep(1)
            if time.monotonic() - t0 >= (minute + 1) * 60 and wrk.poll() is None:
                minute += 1
                sample(f"minute {minute}")
        out = wrk.communicate()[0]
        cpu = _worker_cpu(server.pid)[0] - cpu0
        os.unlink(script)
        sample("end")
        log = _stop_server(server)
    except BaseException:
        if "wrk" in locals() and wrk.poll() is None:
            wrk.kill()
        _stop_server(server)
        raise
    if wrk.returncode != 0 or "requests in" not in out:
        raise SystemExit(f"wrk failed (exit {wrk.returncode}):\n{out}")
    rps = float(m.group(1)) if (m := re.search(r"Requests/sec:\s+([\d.]+)", out)) else float("nan")
    n = int(m.group(1)) if (m := re.search(r"(\d+) requests in", out)) else 0
    non2xx = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0
    sock = m.group(0) if (m := re.search(r"Socket errors:.*", out)) else "Socket errors: none"
    lat = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.M))
    print(f"\nsoak: {args.minutes:g} min, wrk -t2 -c{args.connections}, mix me 4 : search 2 : token 2, "
          f"gunicorn -w {args.workers} (max_requests {args.max_requests or 'off'})")
    print(f"  {n:,} requests, {rps:.0f} req/s, p50 {lat.get('50')}, p99 {lat.get('99')}, "
          f"CPU {1000 * cpu / n if n else float('nan'):.2f} ms/req; non-2xx: {non2xx}; {sock}")
    first = dict(samples[1][1]) if len(samples) > 1 else {}
    last = dict(samples[-1][1])
    print("  worker RSS MiB: " + "; ".join(
        f"pid {p}: {first.get(p, float('nan')):.1f} -> {last[p]:.1f} ({last[p] - first.get(p, float('nan')):+.1f})"
        for p in last))
    if set(first) != set(last):
        print(f"  workers changed during the run: {sorted(first)} -> {sorted(last)}")
    print(f"  server log: {log.count('Traceback')} tracebacks, {log.count('WORKER TIMEOUT')} worker timeouts")
    print("  per-minute samples (MiB): " + " | ".join(
        f"{label}: " + ", ".join(f"{v:.1f}" for v in rss.values()) for label, rss in samples))
    if non2xx or sock != "Socket errors: none":
        raise SystemExit(1)


def main() -> None:
    sys.path.insert(0, str(ROOT))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    state_help = f"state file written by seed and read by the other commands (default {STATE.relative_to(ROOT)})"
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
    p_faults = sub.add_parser("faults", help="cut the database connections under load; failures must be clean 503s")
    p_faults.add_argument("--cuts", type=int, default=3, help="how many times to terminate the backends")
    p_faults.add_argument("--interval", type=float, default=3.0, help="seconds between cuts (and after the last)")
    p_faults.add_argument("--settle", type=float, default=3.0, help="seconds of load before the first cut")
    p_faults.add_argument("--clients", type=int, default=4)
    p_faults.add_argument("--workers", type=int, default=2)
    p_faults.add_argument("--show-log", action="store_true")
    p_faults.add_argument("--i-own-this-database", action="store_true",
                          help="allow terminating connections of a database whose name does not start with 'bench'")
    p_term = sub.add_parser("shutdown", help="SIGTERM the gunicorn master under write load, then restart")
    p_term.add_argument("--settle", type=float, default=3.0, help="seconds of load before SIGTERM")
    p_term.add_argument("--clients", type=int, default=4)
    p_term.add_argument("--workers", type=int, default=2)
    p_term.add_argument("--show-log", action="store_true")
    p_soak = sub.add_parser("soak", help="moderate mixed load for a while; worker RSS every minute")
    p_soak.add_argument("--minutes", type=float, default=10)
    p_soak.add_argument("--connections", type=int, default=4)
    p_soak.add_argument("--workers", type=int, default=2)
    p_soak.add_argument("--max-requests", type=int, default=None,
                        help="gunicorn max_requests (default: off, so that growth is not hidden by recycling)")
    commands = {"seed": seed, "seed-profiles": seed_profiles, "run": run, "faults": faults, "shutdown": shutdown, "soak": soak}
    for p in (p_seed, p_prof, p_run, p_faults, p_term, p_soak):
        p.add_argument("--state", default=str(STATE), help=state_help)
    args = parser.parse_args()
    commands[args.command](args)


if __name__ == "__main__":
    main()
