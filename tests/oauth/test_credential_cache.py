"""The credential cache: exact while PostgreSQL reports changes, out of the way when it cannot.

Two parts: the bookkeeping against a scripted connection (both databases), and the whole path
on a committed PostgreSQL database, where changes made by another connection must take effect
on the very next requests.
"""

from __future__ import annotations

import base64
import time
from types import SimpleNamespace

import pytest
from psycopg import pq
from sqlalchemy import text

from platform_api import create_app
from platform_api.db import get_db, utcnow
from platform_api.oauth.credential_cache import CredentialCache, credential_cache

from ..browser.live import add_client, add_member, add_token, add_user, committed_database, session_on

# --- bookkeeping, with a scripted connection ---------------------------------------------------


class FakePG:
    """What the cache uses of psycopg's PGconn: notifications, its own pings, failure."""

    def __init__(self):
        self.status = pq.ConnStatus.OK
        self.notes: list[str] = []
        self.pings_sent = 0
        self.answered = True  # the server passes the worker's own notifications back
        self._pending = False
        self.broken = False

    def consume_input(self):
        if self.broken:
            raise OSError("connection lost")

    def notifies(self):
        return SimpleNamespace(extra=self.notes.pop(0).encode()) if self.notes else None

    def is_busy(self):
        return False

    def get_result(self):
        if self._pending:
            self._pending = False
            return SimpleNamespace(status=pq.ExecStatus.COMMAND_OK, error_message=b"")
        return None

    def send_query(self, sql: bytes):
        assert not self._pending, "a query was sent before the last one's results were read"
        self.pings_sent += 1
        self._pending = True
        command, _, payload = sql.decode().partition(", ")
        assert command == "NOTIFY platform_credentials"
        if self.answered:
            self.notes.append(payload.strip("'"))


class FakeConn:
    def __init__(self):
        self.pgconn = FakePG()
        self.executed: list[str] = []
        self.closed = False

    def execute(self, sql):
        self.executed.append(sql)

    def close(self):
        self.closed = True


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def scripted():
    clock = Clock()
    conns: list[FakeConn] = []
    refuse = {"on": False}
    attempts: list[float] = []

    def connect():
        attempts.append(clock.now)
        if refuse["on"]:
            raise OSError("database down")
        conns.append(FakeConn())
        conns[-1].pgconn.answered = not refuse.get("deaf")
        return conns[-1]

    cache = CredentialCache(connect, max_entries=3, max_age=60, ping_every=0.5, silent_after=2.0,
                            retry_first=1.0, retry_max=4.0, clock=clock)
    return SimpleNamespace(cache=cache, clock=clock, conns=conns, refuse=refuse, attempts=attempts)


def _store(cache, key, refs, value="v"):
    stamp = cache.stamp()
    if stamp is None:  # a new connection is trusted once its first ping has come back
        stamp = cache.stamp()
    assert stamp is not None
    cache.put(key, value, refs, stamp)


def test_listens_then_serves_what_was_put(scripted):
    cache = scripted.cache
    assert cache.get("a") is None
    assert scripted.conns[0].executed == ["LISTEN platform_credentials"]
    _store(cache, "a", ["t:1", "m:1"], "row-a")
    assert cache.get("a") == "row-a"
    assert (cache.hits, cache.misses) == (1, 1)


def test_other_workers_pings_change_nothing(scripted):
    cache = scripted.cache
    _store(cache, "a", ["t:1"])
    stamp = cache.stamp()
    scripted.conns[0].pgconn.notes.append("ping:4242:1:7")
    assert cache.get("a") == "v"
    cache.put("b", "v", ["t:2"], stamp)  # nothing was invalidated meanwhile
    assert cache.get("b") == "v"


def test_a_change_drops_exactly_the_entries_read_from_that_row(scripted):
    cache = scripted.cache
    _store(cache, "a", ["t:1", "m:1"])
    _store(cache, "b", ["t:2", "m:1"])
    _store(cache, "c", ["t:3", "m:2"])
    scripted.conns[0].pgconn.notes.append("m:1")
    assert cache.get("a") is None and cache.get("b") is None
    assert cache.get("c") == "v"
    assert cache._by_ref.keys() == {"t:3", "m:2"}  # nothing left behind for dropped entries


def test_a_delete_anywhere_drops_everything(scripted):
    cache = scripted.cache
    _store(cache, "a", ["t:1"])
    _store(cache, "b", ["c:1"])
    scripted.conns[0].pgconn.notes.append("*")
    assert cache.get("a") is None and cache.get("b") is None and len(cache) == 0


def test_a_change_reported_while_a_lookup_reads_keeps_its_result_out(scripted):
    cache = scripted.cache
    cache.get("warm-up")
    stamp = cache.stamp()
    # ... the lookup reads the database; meanwhile a change commits and is reported
    scripted.conns[0].pgconn.notes.append("t:1")
    cache.put("a", "maybe stale", ["t:1"], stamp)
    assert cache.get("a") is None
    # a fresh read after the change is kept
    _store(cache, "a", ["t:1"], "fresh")
    assert cache.get("a") == "fresh"


def test_entries_expire_and_the_oldest_goes_first(scripted):
    cache = scripted.cache
    for key in "abc":
        _store(cache, key, [f"t:{key}"])
    cache.get("a")  # used: now the newest
    _store(cache, "d", ["t:d"])
    assert cache.get("b") is None
    assert [cache.get(k) for k in "acd"] == ["v", "v", "v"]
    assert "t:b" not in cache._by_ref
    for _ in range(240):  # requests keep coming (and pings are answered) for a minute
        scripted.clock.now += 0.25
        cache.get("zzz")
    assert cache.get("a") is None and len(cache) <= 3


def test_a_lost_connection_empties_the_cache_until_a_new_one_listens(scripted):
    cache = scripted.cache
    _store(cache, "a", ["t:1"])
    first = scripted.conns[0]
    first.pgconn.broken = True
    assert cache.get("a") is None
    assert first.closed and not cache.listening and len(cache) == 0
    assert cache.stamp() is None  # nothing read now may be kept
    scripted.clock.now += 0.5
    assert cache.get("a") is None and len(scripted.conns) == 1  # not before the retry delay
    scripted.clock.now += 0.6
    _store(cache, "a", ["t:1"])  # listening again: entries are kept
    assert len(scripted.conns) == 2 and cache.get("a") == "v"


def test_reconnecting_backs_off_while_the_database_is_down(scripted):
    cache = scripted.cache
    cache.get("x")
    scripted.conns[0].pgconn.broken = True
    scripted.refuse["on"] = True
    cache.get("x")  # lost; first retry in 1 s
    for _ in range(200):  # 20 s of requests every 0.1 s
        scripted.clock.now += 0.1
        assert cache.get("x") is None
    attempts = scripted.attempts[1:]
    gaps = [round(b - a, 1) for a, b in zip(attempts, attempts[1:])]
    assert round(attempts[0] - 1000, 1) == 1.0
    assert gaps[:2] == [2.0, 4.0] and len(gaps) > 3 and all(g == 4.0 for g in gaps[2:])  # doubles up to retry_max
    scripted.refuse["on"] = False
    scripted.clock.now += 4.1
    _store(cache, "x", ["t:1"])
    assert cache.get("x") == "v" and cache._retry_delay == 1.0


def test_a_silent_connection_is_given_up(scripted):
    cache = scripted.cache
    _store(cache, "a", ["t:1"])
    pg = scripted.conns[0].pgconn
    pg.answered = False  # the worker's own notifications stop coming back; no error
    for _ in range(8):
        scripted.clock.now += 0.25
        assert cache.get("a") == "v"
    scripted.clock.now += 0.25  # nothing heard for longer than silent_after: stop serving
    assert cache.get("a") is None and len(cache) == 0
    scripted.clock.now += 0.5  # the ping is unanswered for longer than silent_after: give it up
    assert cache.get("a") is None and scripted.conns[0].closed
    scripted.clock.now += 1.1
    _store(cache, "a", ["t:1"])
    assert len(scripted.conns) == 2 and cache.get("a") == "v"


def test_a_connection_that_never_hears_itself_is_never_trusted(scripted):
    """What a pooler in transaction mode looks like: LISTEN succeeds, nothing ever arrives."""
    scripted.refuse["deaf"] = True
    cache = scripted.cache
    for _ in range(120):  # thirty seconds of requests
        assert cache.stamp() is None
        assert cache.get("a") is None
        scripted.clock.now += 0.25
    assert len(cache) == 0 and cache.hits == 0
    assert all(c.closed for c in scripted.conns[:-1])
    # each connection is given up after silent_after; the waits between them grow (1, 2, 4, 4 s)
    gaps = [round(b - a, 2) for a, b in zip(scripted.attempts, scripted.attempts[1:])]
    assert len(gaps) >= 4 and gaps[0] < gaps[1] < gaps[2] <= gaps[3]


def test_pings_are_sent_only_while_requests_come_and_prove_the_connection(scripted):
    cache = scripted.cache
    _store(cache, "a", ["t:1"])
    pg = scripted.conns[0].pgconn
    for _ in range(10):
        scripted.clock.now += 0.25
        cache.get("a")
    assert 3 <= pg.pings_sent <= 5  # one each ping_every, at the pace requests come
    scripted.clock.now += 600  # idle for ten minutes: nothing sent meanwhile
    sent = pg.pings_sent
    # The first request after a long silence cannot trust what is kept: it starts over and pings.
    assert cache.get("a") is None and len(cache) == 0 and pg.pings_sent == sent + 1
    scripted.clock.now += 0.01
    _store(cache, "a", ["t:1"])  # the ping was answered
    assert cache.get("a") == "v"


def test_a_forked_worker_does_not_share_its_parents_connection(scripted, monkeypatch):
    cache = scripted.cache
    _store(cache, "a", ["t:1"])
    monkeypatch.setattr("platform_api.oauth.credential_cache.os.getpid", lambda: 999_999)
    assert cache.get("a") is None
    assert len(scripted.conns) == 2 and not scripted.conns[0].closed  # the parent's stays open for it


def test_the_test_harness_and_sqlite_have_no_cache(app, is_postgres, settings_overrides):
    assert credential_cache(app) is None
    if not is_postgres:
        assert credential_cache(create_app({**settings_overrides, "credential_cache": True})) is None


# --- the whole path, on a committed PostgreSQL database --------------------------------------


@pytest.fixture(scope="module")
def live(database_url, settings_overrides):
    if not database_url.startswith("postgresql"):
        pytest.skip("the credential cache listens to PostgreSQL notifications; SQLite has none")
    with committed_database(database_url, "credcache") as url:
        application = create_app({**settings_overrides, "database_url": url, "credential_cache": True})
        from ..contract import install_contract_check

        install_contract_check(application)
        try:
            yield SimpleNamespace(app=application, url=url, cache=credential_cache(application))
        finally:
            credential_cache(application).close()
            get_db(application).dispose()


@pytest.fixture
def caller(live):
    """A member with a confidential client and a token, committed."""
    with session_on(live.url) as s:
        member = add_member(s, name="Cache Test Institute")
        client, secret = add_client(s, member, name="Cache test client")
        token = add_token(s, client)
        ids = SimpleNamespace(member=member.id, client=client.id, client_id=client.client_id)
    return SimpleNamespace(token=token, secret=secret, **vars(ids))


def _sql(live, statement: str, **params) -> None:
    """A change committed by another connection, as an admin command or another worker makes it."""
    with session_on(live.url) as s:
        s.execute(text(statement), params)


def _me(live, token: str):
    return live.app.test_client().get("/v1/me", headers={"Authorization": f"Bearer {token}"})


def _refused_within(live, token: str, seconds: float = 2.0) -> float:
    """How long until the token is refused (0 when the very next request is)."""
    started = time.monotonic()
    while True:
        resp = _me(live, token)
        if resp.status_code == 401:
            return time.monotonic() - started
        assert resp.status_code == 200
        assert time.monotonic() - started < seconds, "the change never reached the cache"
        time.sleep(0.001)


def _until_cached(live, token: str):
    """Requests until one is served from the cache (a new listening connection is trusted once
    its first ping has come back, a few milliseconds); returns that response."""
    deadline = time.monotonic() + 2
    while True:
        hits = live.cache.hits
        resp = _me(live, token)
        if live.cache.hits > hits:
            return resp
        assert time.monotonic() < deadline, "nothing was ever served from the cache"


def test_a_token_is_read_once_then_served_from_the_cache(live, caller):
    read = _me(live, caller.token)
    _until_cached(live, caller.token)
    hits, misses = live.cache.hits, live.cache.misses
    cached = _me(live, caller.token)
    assert (live.cache.hits, live.cache.misses) == (hits + 1, misses)
    assert read.status_code == cached.status_code == 200
    assert read.get_json() == cached.get_json()


def test_a_revoked_token_is_refused_at_once(live, caller):
    assert _me(live, caller.token).status_code == 200
    _until_cached(live, caller.token)
    _sql(live, "UPDATE oauth_tokens SET revoked_at = :now WHERE client_pk = :c", now=utcnow(), c=caller.client)
    assert _refused_within(live, caller.token) < 0.5


@pytest.mark.parametrize("change", [
    "UPDATE members SET status = 'suspended' WHERE id = :member",
    "UPDATE oauth_clients SET revoked_at = now() WHERE id = :client",
])
def test_a_suspended_member_or_revoked_client_is_refused_at_once(live, caller, change):
    _until_cached(live, caller.token)
    _sql(live, change, member=caller.member, client=caller.client)
    assert _refused_within(live, caller.token) < 0.5


def test_a_disabled_person_is_refused_at_once(live, caller):
    with session_on(live.url) as s:
        from platform_api.oauth.models import OAuthClient

        client = s.get(OAuthClient, caller.client)
        user = add_user(s, client.member, email="cached.person@member.example", password="long enough password")
        token = add_token(s, client, user=user)
        user_id = user.id
    assert _me(live, token).get_json()["person"]["id"] == user_id
    _until_cached(live, token)
    _sql(live, "UPDATE users SET disabled_at = now() WHERE id = :u", u=user_id)
    assert _refused_within(live, token) < 0.5


def test_a_renamed_member_shows_its_new_name_at_once(live, caller):
    _until_cached(live, caller.token)
    _sql(live, "UPDATE members SET name = 'Renamed Institute' WHERE id = :m", m=caller.member)
    deadline = time.monotonic() + 0.5
    while _me(live, caller.token).get_json()["member"]["name"] != "Renamed Institute":
        assert time.monotonic() < deadline


def _issue(live, caller, secret: str):
    basic = base64.b64encode(f"{caller.client_id}:{secret}".encode()).decode()
    return live.app.test_client().post("/oauth/token", data={"grant_type": "client_credentials"},
                                       headers={"Authorization": f"Basic {basic}"})


def test_token_issue_uses_the_cached_client_and_sees_a_new_secret_at_once(live, caller):
    _until_cached(live, caller.token)  # the listening connection is trusted
    assert _issue(live, caller, caller.secret).status_code == 200
    hits = live.cache.hits
    assert _issue(live, caller, caller.secret).status_code == 200
    assert live.cache.hits == hits + 1
    from platform_api.security import secret_hash

    _sql(live, "UPDATE oauth_clients SET secret_hash = :h WHERE id = :c", h=secret_hash("a-new-secret"), c=caller.client)
    deadline = time.monotonic() + 0.5
    while _issue(live, caller, caller.secret).status_code != 401:
        assert time.monotonic() < deadline
    assert _issue(live, caller, "a-new-secret").status_code == 200


def test_without_its_listening_connection_the_cache_steps_aside(live, caller):
    _until_cached(live, caller.token)
    assert live.cache.listening and len(live.cache) > 0
    _sql(live, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
               "WHERE application_name = 'platform-credential-cache' AND datname = current_database()")
    deadline = time.monotonic() + 2
    while live.cache.listening:  # the next lookups notice the connection is gone
        assert _me(live, caller.token).status_code == 200  # answered from the database meanwhile
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert len(live.cache) == 0
    # A change made while nobody listens is still honoured: lookups go to the database.
    _sql(live, "UPDATE oauth_tokens SET revoked_at = now() WHERE client_pk = :c", c=caller.client)
    assert _me(live, caller.token).status_code == 401
    # ... and once a new connection listens (after the retry delay), the cache works again.
    fresh = SimpleNamespace(**vars(caller))
    with session_on(live.url) as s:
        from platform_api.oauth.models import OAuthClient

        fresh.token = add_token(s, s.get(OAuthClient, caller.client))
    deadline = time.monotonic() + 5
    while not live.cache.listening:  # reconnects after the retry delay (1 s)
        assert _me(live, fresh.token).status_code == 200
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert _until_cached(live, fresh.token).status_code == 200


def test_deleting_rows_of_a_watched_table_empties_the_cache(live, caller):
    _until_cached(live, caller.token)
    assert len(live.cache) > 0
    _sql(live, "DELETE FROM users WHERE id = 'no such person'")
    deadline = time.monotonic() + 0.5
    while True:
        hits = live.cache.hits
        _me(live, caller.token)
        if live.cache.hits == hits:  # a miss: the entry was dropped
            break
        assert time.monotonic() < deadline


def test_the_worker_hears_its_own_pings_and_keeps_serving(live, caller):
    _until_cached(live, caller.token)
    pings, hits = live.cache._pings, live.cache.hits
    deadline = time.monotonic() + 3  # longer than silent_after: only heard pings keep it trusted
    sent = 0
    while time.monotonic() < deadline:
        assert _me(live, caller.token).status_code == 200
        sent += 1
        time.sleep(0.05)
    assert live.cache.listening and live.cache._pings >= pings + 4
    assert sent >= 20 and live.cache.hits >= hits + sent - 2  # nearly every request was served from the cache
