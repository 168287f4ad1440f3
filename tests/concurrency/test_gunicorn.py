"""Concurrency on PostgreSQL: clients against gunicorn workers (no lost update, no double create),
and two admins approving one submission at once with `platform-admin` (one decision, one audit event)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select
from sqlalchemy import text as sql

from platform_api.db import make_engine

from ..browser.live import add_member, session_on
from ..conftest import TEST_SECRET

CLIENTS = 20


def _all_at_once(n: int, fn):
    """Run fn(i) in n threads released together; returns the results in order."""
    barrier = threading.Barrier(n)

    def run(i):
        with requests.Session() as http:
            barrier.wait(timeout=30)
            return fn(http, i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def test_concurrent_patches_with_one_etag_leave_exactly_one_winner(service):
    url = f"{service.url}/v1/members/{service.member_id}"
    first = requests.get(url, headers=service.headers(), timeout=10)
    assert first.status_code == 200, first.text
    etag = first.headers["ETag"]

    def patch(http, i):
        body = {"description": {"en": f"Written by concurrent client {i}"}}
        resp = http.patch(url, json=body, headers=service.headers(**{"If-Match": etag}), timeout=60)
        return i, resp.status_code, resp.headers.get("ETag"), resp.text

    results = _all_at_once(CLIENTS, patch)
    statuses = sorted(status for _i, status, _e, _t in results)
    winners = [r for r in results if r[1] == 200]
    assert len(winners) == 1 and statuses.count(412) == CLIENTS - 1, f"statuses: {statuses}\n{results}"
    for _i, status, _e, text in results:
        if status == 412:
            assert json.loads(text)["type"] == "/problems/precondition-failed"
    winner, _s, new_etag, _t = winners[0]
    stored = requests.get(url, headers=service.headers(), timeout=10)
    assert stored.json()["description"] == {"en": f"Written by concurrent client {winner}"}
    assert stored.headers["ETag"] == new_etag != etag


TECHNOLOGY = {
    "title": {"en": "Concurrent idempotent listing"},
    "summary": {"en": "Created twenty times at once with one Idempotency-Key."},
    "field": "new_energy",
    "trl": 5,
    "deal_types": ["exclusive_license"],
    "origin_country": "CN",
}


def _count_technologies(service) -> int:
    from platform_api.technologies.models import Technology

    engine = make_engine(service.database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(Technology).where(Technology.owner_id == service.member_id)).scalar_one()
    finally:
        engine.dispose()


def test_concurrent_creates_with_one_idempotency_key_make_one_object(service):
    key = f"conc-{uuid.uuid4()}"
    before = _count_technologies(service)

    def create(http, i):
        resp = http.post(f"{service.url}/v1/technologies", json=TECHNOLOGY,
                         headers=service.headers(**{"Idempotency-Key": key}), timeout=60)
        return resp.status_code, resp.headers.get("Idempotent-Replayed"), resp.text

    results = _all_at_once(CLIENTS, create)
    created = [r for r in results if r[0] == 201 and r[1] is None]
    replayed = [r for r in results if r[0] == 201 and r[1] == "true"]
    in_progress = [r for r in results if r[0] == 409]
    assert len(created) == 1, f"{len(created)} first responses: {[r[:2] for r in results]}"
    assert len(created) + len(replayed) + len(in_progress) == CLIENTS, [r[:2] for r in results]
    for status, _r, text in in_progress:
        assert json.loads(text)["type"] == "/problems/idempotency-conflict", text
    first_id = json.loads(created[0][2])["id"]
    assert all(json.loads(text)["id"] == first_id for _s, _r, text in replayed)
    assert _count_technologies(service) == before + 1
    # A retry after the dust settled replays the same response.
    again = requests.post(f"{service.url}/v1/technologies", json=TECHNOLOGY,
                          headers=service.headers(**{"Idempotency-Key": key}), timeout=30)
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["id"] == first_id


# --- two reviewers, one submission: `platform-admin technologies approve` in two processes ---

ROOT = Path(__file__).resolve().parents[2]
PLATFORM_ADMIN = Path(sys.executable).with_name("platform-admin")  # the installed console script
ALREADY_REVIEWED = re.compile(r"already (reviewed|published)")
STALE = "already reviewed by someone else"  # the PostgreSQL path: the version check caught the race
CLI_TIMEOUT = 30  # seconds for one round, start to exit
ROUNDS = 3  # fresh listings per kind of race; each round costs two CLI start-ups (~1 s of CPU each)


def _submitted_listing(database_url: str, owner_id: str) -> tuple[str, int]:
    """A new listing of the owner, submitted through the services; (id, version)."""
    from platform_api.members.models import Member
    from platform_api.technologies import services
    from platform_api.technologies.schemas import TechnologyCreateSchema

    from ..factories.technologies import technology_body

    with session_on(database_url) as s:
        data = TechnologyCreateSchema().load(technology_body())
        tech = services.create(session=s, owner=s.get(Member, owner_id), data=data)
        services.transition(session=s, tech=tech, action="submit")
        return tech.id, tech.version


def _start_approvals(database_url: str, instance: Path, tech_id: str, tag: str) -> list[tuple[str, subprocess.Popen]]:
    """Two reviewers' `technologies approve ID --json`, started back to back; [(actor, process)]."""
    started = []
    try:
        for reviewer in ("alice", "bob"):
            actor = f"reviewer-{reviewer}-{tag}"
            env = {
                **os.environ,
                "DATABASE_URL": database_url,
                "SECRET_KEY": TEST_SECRET,
                "PLATFORM_ENV": "test",
                "PLATFORM_INSTANCE_PATH": str(instance),
                "PLATFORM_ADMIN_ACTOR": actor,
                "PGAPPNAME": actor,  # libpq: names the process's connection in pg_stat_activity
            }
            env.pop("PLATFORM_REDIS_URL", None)
            proc = subprocess.Popen(
                [str(PLATFORM_ADMIN), "technologies", "approve", tech_id, "--json"],
                cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                start_new_session=True,
            )
            started.append((actor, proc))
    except BaseException:
        _reap([p for _a, p in started])
        raise
    return started


def _reap(procs) -> None:
    """Kill whatever still runs (its own process group only) and wait for it."""
    for proc in procs:
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            proc.communicate(timeout=10)
        except (subprocess.TimeoutExpired, ValueError):
            pass


def _finish(started, deadline: float) -> list[tuple[str, int, str, str]]:
    """Wait for both; [(actor, exit code, stdout, stderr)]. Fails (after killing them) on a hang."""
    results = []
    for actor, proc in started:
        try:
            out, err = proc.communicate(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _reap([p for _a, p in started])
            pytest.fail(f"`platform-admin technologies approve` ({actor}) did not finish in {CLI_TIMEOUT} s",
                        pytrace=False)
        results.append((actor, proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")))
    return results


def _wait_until_both_block(watcher, started, deadline: float) -> None:
    """Until both processes wait for a row lock in their UPDATE of the listing. `watcher` is in
    autocommit: inside one transaction pg_stat_activity would repeat its first snapshot."""
    actors = [actor for actor, _p in started]
    query = sql("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND application_name = ANY(:actors) AND wait_event_type = 'Lock' "
                "AND query ILIKE 'UPDATE technologies%'")
    while time.monotonic() < deadline:
        for actor, proc in started:
            if proc.poll() is not None:
                out, err = proc.communicate()
                pytest.fail(f"{actor} exited ({proc.returncode}) before it reached the UPDATE:\n"
                            f"{err.decode(errors='replace')}{out.decode(errors='replace')}", pytrace=False)
        if watcher.execute(query, {"actors": actors}).scalar_one() == 2:
            return
        time.sleep(0.05)
    pytest.fail("the two approvals never both waited for the listing's row lock", pytrace=False)


def _race(database_url: str, owner_id: str, instance: Path, tag: str, *, gated: bool):
    """One submission, two reviewers at once; (listing id, its version before, the two outcomes)."""
    tech_id, version = _submitted_listing(database_url, owner_id)
    engine = make_engine(database_url)
    started = []
    try:
        deadline = time.monotonic() + CLI_TIMEOUT
        if not gated:
            started = _start_approvals(database_url, instance, tech_id, tag)
        else:
            # Both must read the submitted listing before either writes: hold its row lock (plain
            # reads pass it) until both processes are parked in their UPDATE, then let go.
            watching = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            with engine.connect() as holder, watching as watcher:
                holder.execute(sql("SELECT id FROM technologies WHERE id = :id FOR UPDATE"), {"id": tech_id})
                started = _start_approvals(database_url, instance, tech_id, tag)
                _wait_until_both_block(watcher, started, deadline)
                holder.rollback()
        results = _finish(started, deadline)
    finally:
        _reap([p for _a, p in started])
        engine.dispose()
    return tech_id, version, results


def _stored(database_url: str, tech_id: str):
    """The listing's status and version, and its technologies.approve events as (actor, details)."""
    from platform_api.audit.models import AuditEvent
    from platform_api.technologies.models import Technology

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            status, version = conn.execute(
                select(Technology.status, Technology.version).where(Technology.id == tech_id)).one()
            events = conn.execute(select(AuditEvent.actor, AuditEvent.details).where(
                AuditEvent.target_id == tech_id, AuditEvent.action == "technologies.approve")).all()
    finally:
        engine.dispose()
    return status, version, events


@pytest.fixture(scope="module")
def review_owner(service) -> str:
    """An active member of its own (in the service's database) whose listings the reviewers race over."""
    if not PLATFORM_ADMIN.exists():
        pytest.fail(f"the platform-admin console script is not installed next to {sys.executable} (pip install -e .)")
    with session_on(service.database_url) as s:
        return add_member(s, name="Concurrent Review University").id


@pytest.mark.parametrize("gated", [False, True], ids=["started-together", "both-read-before-either-writes"])
def test_two_reviewers_approving_one_submission_at_once(service, review_owner, tmp_path, gated):
    """Two admins run `platform-admin technologies approve <id> --json` at the same moment, on three
    fresh submissions: each time exactly one publishes the listing, the other exits 1 with one line
    saying it was already reviewed (no traceback, nothing on stdout), and one audit event names the
    winner.

    started-together: both processes are launched back to back; who reads first is up to timing.
    both-read-before-either-writes: a held row lock parks both in their UPDATE, so the loser is
    caught by the listing's version check ("already reviewed by someone else").
    """
    paths = Counter()
    for round_no in range(ROUNDS):
        tag = f"{'gated' if gated else 'free'}-{round_no}-{uuid.uuid4().hex[:8]}"
        tech_id, version, results = _race(service.database_url, review_owner, tmp_path / "instance", tag, gated=gated)
        shown = "\n".join(f"{a}: exit {rc}\n  stdout: {out.strip()[:500]}\n  stderr: {err.strip()[-2000:]}"
                          for a, rc, out, err in results)
        codes = sorted(rc for _a, rc, _o, _e in results)
        assert codes == [0, 1], f"round {round_no} of listing {tech_id}:\n{shown}"
        (winner, _rc, out, err), = [r for r in results if r[1] == 0]
        (_loser, _rc, lost_out, lost_err), = [r for r in results if r[1] == 1]

        view = json.loads(out)
        assert view["id"] == tech_id and view["status"] == "published", shown
        assert "Traceback" not in err + lost_err, shown
        assert lost_out == "", shown
        message = lost_err.strip()
        assert len(message.splitlines()) == 1 and message.startswith(f"Error: Listing {tech_id} "), shown
        assert ALREADY_REVIEWED.search(message) and "nothing was" in message, shown
        if gated:
            assert STALE in message, shown
        paths["stale version" if STALE in message else "already published"] += 1

        status, stored_version, events = _stored(service.database_url, tech_id)
        assert status == "published"
        assert stored_version == version + 1, "the listing was written more than once"
        assert len(events) == 1, f"{len(events)} technologies.approve events for {tech_id}: {events}"
        actor, details = events[0]
        assert actor == winner
        assert details["from"] == "submitted" and details["to"] == "published"
    print(f"loser's path per round: {dict(paths)}")


def test_a_revoked_token_is_refused_by_every_worker_at_once(service):
    """Each worker caches the tokens it has seen (oauth/credential_cache.py). A revocation through
    the API, answered by one worker, must hold in all of them from the next request on."""
    issued = requests.post(f"{service.url}/oauth/token", data={"grant_type": "client_credentials"},
                           auth=(service.client_id, service.client_secret), timeout=10)
    assert issued.status_code == 200, issued.text
    token = issued.json()["access_token"]
    service.secrets["revoked access token"] = token
    me = f"{service.url}/v1/me"
    headers = {"Authorization": f"Bearer {token}"}

    def hammer(_http, _i):  # a new connection each time, 16 at once: every worker gets some
        return [requests.get(me, headers=headers, timeout=10).status_code for _ in range(8)]

    assert Counter(c for codes in _all_at_once(16, hammer) for c in codes) == Counter({200: 128})
    engine = make_engine(service.database_url)
    try:
        with engine.connect() as conn:
            listeners = conn.execute(sql("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                         "AND application_name = 'platform-credential-cache'")).scalar()
    finally:
        engine.dispose()
    assert listeners >= 2, f"only {listeners} worker(s) listen for credential changes"
    revoked = requests.post(f"{service.url}/oauth/revoke", data={"token": token},
                            auth=(service.client_id, service.client_secret), timeout=10)
    assert revoked.status_code == 200, revoked.text
    assert Counter(c for codes in _all_at_once(16, hammer) for c in codes) == Counter({401: 128})


def test_gunicorn_logs_hold_no_secret(service):
    """Runs last in this module: everything the workers wrote, checked for tokens and secrets."""
    resp = requests.post(f"{service.url}/oauth/token", data={"grant_type": "client_credentials"},
                         auth=(service.client_id, service.client_secret), timeout=10)
    assert resp.status_code == 200, resp.text
    service.secrets["issued access token"] = resp.json()["access_token"]
    me = requests.get(f"{service.url}/v1/me", headers={"Authorization": f"Bearer {resp.json()['access_token']}"}, timeout=10)
    assert me.status_code == 200
    requests.get(f"{service.url}/v1/me?access_token={service.token}", timeout=10)  # refused; must not be logged
    log = service.log()
    access = [json.loads(line) for line in log.splitlines() if line.startswith("{") and '"platform_api.access"' in line]
    assert len(access) >= 2 * CLIENTS, f"only {len(access)} access lines in the gunicorn log"
    assert all(line.get("request_id") and line.get("route") for line in access if line["status"] != 404)
    leaked = [name for name, value in service.secrets.items() if value in log]
    assert not leaked, f"in the gunicorn log: {leaked}"
