"""A per-worker cache of credentials (bearer tokens, OAuth clients), kept exact by PostgreSQL.

Every protected request looks up its bearer token, and every token request its client: one
database round trip each, which on this machine costs more than the rest of a small request
(README, Benchmarks). What those lookups read changes rarely - a token is revoked, a client or a
member is suspended or edited, a person is disabled - and the database says so itself: triggers
(migration 8a41c6d2e5b7) send a notification on channel `platform_credentials` whenever a row of
oauth_tokens, oauth_clients, members or users is updated ("t:<id>", "c:<id>", "m:<id>", "u:<id>")
or rows are deleted ("*").

Each worker keeps its own LISTEN connection and, before every lookup, reads whatever arrived on
it (one non-blocking recv). An entry names the rows it was read from and goes as soon as any of
them changes, so a revocation reaches every worker in the time PostgreSQL takes to deliver a
notification (well under a millisecond here), not after a timeout. The rules (expired, revoked,
suspended) run on every request, cached or not: the cache only saves the read.

When in doubt the cache steps aside and every lookup goes to the database:
- a change that lands while a lookup is reading is not missed: the lookup takes a stamp before
  reading, and its result is not stored if any notification arrived in between;
- every half second while requests come, the worker sends a notification to itself on that
  connection; if the connection breaks, or the worker has not heard its own notification back
  within two seconds (a dead connection, a pooler that does not pass LISTEN on), everything is
  dropped and nothing is served from the cache until a new connection is listening (retried
  with backoff, up to 30 s);
- entries also expire after a minute, whatever happens, and at most `max_entries` are kept.
Only PostgreSQL sends notifications: on SQLite, and under the test harness (whose writes are
rolled back, never notified), there is no cache.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable

from psycopg import pq

log = logging.getLogger("platform_api.credential_cache")

CHANNEL = "platform_credentials"


class _Entry:
    __slots__ = ("value", "refs", "expires")

    def __init__(self, value, refs: tuple[str, ...], expires: float):
        self.value = value
        self.refs = refs
        self.expires = expires


class CredentialCache:
    """Values by key, each dropped when a row it names ("m:<id>", ...) is reported changed.

    `connect` opens a new autocommit psycopg connection; the cache sends LISTEN on it. Values are
    shared by every request of the worker: callers must treat them as read-only.
    """

    def __init__(self, connect: Callable[[], object], *, max_entries: int = 4096, max_age: float = 60.0,
                 ping_every: float = 0.5, silent_after: float = 2.0, retry_first: float = 1.0,
                 retry_max: float = 30.0, clock: Callable[[], float] = time.monotonic):
        self._connect = connect
        self.max_entries = max_entries
        self.max_age = max_age
        self.ping_every = ping_every
        self.silent_after = silent_after
        self.retry_first = retry_first
        self.retry_max = retry_max
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._by_ref: dict[str, set] = {}
        self._generation = 0
        self._conn = None
        self._pid: int | None = None
        self._last_heard = float("-inf")
        self._ping_sent: float | None = None
        self._ping_payload: str | None = None
        self._awaiting_result = False
        self._pings = 0
        self._retry_at = float("-inf")
        self._retry_delay = retry_first
        self.hits = 0
        self.misses = 0

    # --- the three calls a lookup makes ------------------------------------------------------

    def get(self, key: Hashable):
        """The value kept for `key`, or None (then read the database and put what it says)."""
        with self._lock:
            if self._sync():
                entry = self._entries.get(key)
                if entry is not None:
                    if entry.expires > self._clock():
                        self._entries.move_to_end(key)
                        self.hits += 1
                        return entry.value
                    self._drop(key)
            self.misses += 1
            return None

    def stamp(self) -> int | None:
        """Take before reading the database; give to put(). None: do not store what you read."""
        with self._lock:
            return self._generation if self._sync() else None

    def put(self, key: Hashable, value, refs: Iterable[str], stamp: int | None) -> None:
        """Keep `value` until any row in `refs` changes, if nothing changed since `stamp`."""
        if stamp is None:
            return
        with self._lock:
            # _sync() applies what arrived meanwhile; any of it may concern what was read.
            if not self._sync() or self._generation != stamp:
                return
            if key in self._entries:
                self._drop(key)
            refs = tuple(refs)
            self._entries[key] = _Entry(value, refs, self._clock() + self.max_age)
            for ref in refs:
                self._by_ref.setdefault(ref, set()).add(key)
            while len(self._entries) > self.max_entries:
                self._drop(next(iter(self._entries)))

    # --- keeping in step with the database ---------------------------------------------------

    @property
    def listening(self) -> bool:
        return self._conn is not None

    def __len__(self) -> int:
        return len(self._entries)

    def _sync(self) -> bool:
        """Apply what the database reported; whether entries may be used and stored now."""
        now = self._clock()
        if self._pid != os.getpid():  # a forked child must not read its parent's socket
            self._conn = None
            self._pid = os.getpid()
            self._forget_all()
        if self._conn is None:
            return self._listen(now)
        pg = self._conn.pgconn
        try:
            pg.consume_input()  # never blocks: libpq reads only what has arrived
            if pg.status != pq.ConnStatus.OK:
                raise ConnectionError("the listening connection is closed")
            if self._awaiting_result and not pg.is_busy():
                while (result := pg.get_result()) is not None:
                    if result.status != pq.ExecStatus.COMMAND_OK:
                        raise ConnectionError(f"ping failed: {result.error_message!r}")
                self._awaiting_result = False
            while (note := pg.notifies()) is not None:
                payload = note.extra.decode()
                if payload == self._ping_payload:
                    self._ping_sent = self._ping_payload = None
                    self._last_heard = now
                    self._retry_delay = self.retry_first  # this connection is proven to work
                elif not payload.startswith("ping:"):  # other workers' pings change nothing
                    self._apply(payload)
            if self._ping_sent is None and not self._awaiting_result and now - self._last_heard >= self.ping_every:
                # The ping is a notification to ourselves: hearing it back proves that LISTEN
                # works end to end (through a pooler that drops it, it never comes back).
                self._pings += 1
                self._ping_payload = f"ping:{self._pid}:{id(self)}:{self._pings}"
                pg.send_query(f"NOTIFY {CHANNEL}, '{self._ping_payload}'".encode())
                self._ping_sent = now
                self._awaiting_result = True
        except Exception as exc:  # noqa: BLE001 - any failure means: stop trusting the cache
            self._lost(now, exc)
            return False
        if self._ping_sent is not None and now - self._ping_sent > self.silent_after:
            self._lost(now, ConnectionError(f"no answer to a ping for {self.silent_after} s"))
            return False
        if now - self._last_heard > self.silent_after:
            # New, or idle for a while (nothing pinged): a connection that died silently meanwhile
            # may have missed changes. Start over; the ping just sent vouches for what comes after.
            self._forget_all()
            return False
        return True

    def _listen(self, now: float) -> bool:
        if now < self._retry_at:
            return False
        conn = None
        try:
            conn = self._connect()
            conn.execute(f"LISTEN {CHANNEL}")
        except Exception as exc:  # noqa: BLE001
            if conn is not None:
                _close_quietly(conn)
            log.warning("credential cache: cannot listen for changes (%s); retrying in %.0f s",
                        type(exc).__name__, self._retry_delay)
            self._back_off(now)
            return False
        self._conn = conn
        self._forget_all()  # whatever changed while nobody listened
        self._ping_sent = self._ping_payload = None
        self._awaiting_result = False
        # Not trusted until its first ping comes back: through a pooler that does not keep the
        # session, LISTEN succeeds and yet no notification ever arrives.
        self._last_heard = float("-inf")
        return self._sync()

    def _lost(self, now: float, exc: Exception) -> None:
        log.warning("credential cache: stopped listening for changes (%s); lookups go to the database",
                    type(exc).__name__)
        conn, self._conn = self._conn, None
        _close_quietly(conn)
        self._forget_all()
        self._back_off(now)

    def _back_off(self, now: float) -> None:
        """The next attempt to listen waits; each failure in a row doubles the wait (to retry_max)."""
        self._retry_at = now + self._retry_delay
        self._retry_delay = min(self._retry_delay * 2, self.retry_max)

    def _apply(self, payload: str) -> None:
        self._generation += 1
        if payload == "*":
            self._forget_all()
            return
        for key in self._by_ref.pop(payload, ()):
            self._drop(key)

    def _drop(self, key) -> None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        for ref in entry.refs:
            keys = self._by_ref.get(ref)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._by_ref[ref]

    def _forget_all(self) -> None:
        self._generation += 1
        self._entries.clear()
        self._by_ref.clear()

    def close(self) -> None:
        with self._lock:
            conn, self._conn = self._conn, None
            self._forget_all()
        if conn is not None and self._pid == os.getpid():
            _close_quietly(conn)


def _close_quietly(conn) -> None:
    try:
        conn.close()
    except Exception:  # noqa: BLE001 - it is gone either way
        pass


def _connector(engine) -> Callable[[], object]:
    """Opens connections like the engine's own (same URL, same driver), in autocommit mode."""
    cargs, cparams = engine.dialect.create_connect_args(engine.url)
    dbapi = engine.dialect.loaded_dbapi

    def connect():
        return dbapi.connect(*cargs, **{"connect_timeout": 5, **cparams, "autocommit": True,
                                        "application_name": "platform-credential-cache"})

    return connect


def init_app(app, settings) -> None:
    from ..db import get_db

    cache = None
    engine = get_db(app).engine
    if settings.credential_cache and engine.dialect.name == "postgresql":
        cache = CredentialCache(_connector(engine))
    app.extensions["platform_credential_cache"] = cache


def credential_cache(app=None) -> CredentialCache | None:
    from flask import current_app

    return (app or current_app).extensions["platform_credential_cache"]


def through_cache(key: Hashable, read: Callable[[], object], refs: Callable[[object], Iterable[str]]):
    """What `read()` returns for `key`, from the worker's cache when it holds it, else read and kept
    until a row named by `refs(value)` changes. Nothing is kept for None; with no cache, just read()."""
    cache = credential_cache()
    if cache is None:
        return read()
    found = cache.get(key)
    if found is None:
        stamp = cache.stamp()
        found = read()
        if found is not None:
            cache.put(key, found, refs(found), stamp)
    return found
