"""Per-client rate limits: sliding-window counters shared by every process on the host, or in Redis.

Both count the same way (limits' sliding window counter: this window's hits plus the previous
window's, weighted by how much of it still overlaps the last `period` seconds). Without
PLATFORM_REDIS_URL the counters live in a file that every worker of the host maps into memory
(`HostWindows`), so a limit holds as configured whatever the number of gunicorn workers; with
several hosts, set PLATFORM_REDIS_URL so that they share counters too.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import math
import mmap
import os
import struct
import tempfile
import threading
import time
from pathlib import Path

from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

from ..errors import RateLimited

log = logging.getLogger("platform_api.ratelimit")


def _advance(index: int, hits: int, previous: int, now_index: int, into: float, period: int,
             limit: int) -> tuple[int, int, int, int | None]:
    """One hit on a key's window (`index`, its `hits`, the `previous` window's hits) at
    `now_index` + `into` seconds: the window as it is afterwards, and None if the hit is allowed,
    else the seconds to wait before one more is (the hit is then not counted)."""
    if index != now_index:
        previous = hits if index == now_index - 1 else 0
        hits, index = 0, now_index
    overlap = previous * (period - into) / period
    if overlap + hits + 1 > limit:
        # The previous window's share shrinks as this one goes on; past its end only this
        # window's hits count (and become next window's previous share).
        room = limit - 1 - hits
        wait = period - into if room < 0 or previous == 0 else (period - into) - room * period / previous
        return index, hits, previous, max(1, math.ceil(wait))
    return index, hits + 1, previous, None


class HostWindows:
    """Sliding-window counters in a file that every process of the host maps (gunicorn's workers,
    `platform-admin`), each hit counted under the file's lock.

    A fixed table of `SLOTS` slots of 32 bytes (2 MiB): a key's slot is found by its 64-bit hash
    among `PROBE` neighbours. A slot whose windows are over is free again; when all of a key's
    neighbours are live, the one with the fewest hits gives way, so a flood of new keys (a spray
    of e-mail addresses, say) can shorten the memory of small counters but never of a busy one.
    Measured at a few microseconds a hit (two lock calls and a hash), like the in-process dict it
    replaced, which every worker had of its own.
    """

    SLOTS = 1 << 16
    PROBE = 8
    _SLOT = struct.Struct("<QqIII4x")  # key hash (0: empty), window index, hits, previous hits, period

    def __init__(self, path: str | os.PathLike, clock=time.time):
        self.path = Path(path)
        self._clock = clock
        self._lock = threading.Lock()  # fcntl locks belong to the process: threads take this first
        size = self.SLOTS * self._SLOT.size
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        if os.fstat(self._fd).st_size < size:
            os.ftruncate(self._fd, size)  # zeros; every process that finds it short does the same
        self._map = mmap.mmap(self._fd, size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)

    @staticmethod
    def _hash(key: str) -> int:
        return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little") or 1

    def _slot_for(self, h: int, period: int, now: float) -> tuple[int, bool]:
        """The offset of the key's slot, and whether it is new (to be written from scratch)."""
        unpack, size = self._SLOT.unpack_from, self._SLOT.size
        free = weakest = None
        fewest = None
        for i in range(self.PROBE):
            offset = ((h + i) % self.SLOTS) * size
            key, index, hits, previous, slot_period = unpack(self._map, offset)
            if key == h and slot_period == period:
                return offset, False
            if free is None and (key == 0 or index < now // slot_period - 1):
                free = offset
            elif fewest is None or hits + previous < fewest:
                weakest, fewest = offset, hits + previous
        return (free if free is not None else weakest), True

    def hit(self, key: str, limit: int, period: int) -> int | None:
        """Count one hit; None if allowed, else the seconds to wait before one more is."""
        h = self._hash(key)
        with self._lock:
            fcntl.lockf(self._fd, fcntl.LOCK_EX)
            try:
                now = self._clock()
                now_index, into = divmod(now, period)
                offset, new = self._slot_for(h, period, now)
                if new:
                    index, hits, previous = int(now_index), 0, 0
                else:
                    _key, index, hits, previous, _period = self._SLOT.unpack_from(self._map, offset)
                index, hits, previous, wait = _advance(index, hits, previous, int(now_index), into, period, limit)
                self._SLOT.pack_into(self._map, offset, h, index, hits, previous, period)
                return wait
            finally:
                fcntl.lockf(self._fd, fcntl.LOCK_UN)

    def reset(self) -> None:
        with self._lock:
            fcntl.lockf(self._fd, fcntl.LOCK_EX)
            try:
                self._map[:] = bytes(len(self._map))
            finally:
                fcntl.lockf(self._fd, fcntl.LOCK_UN)


def host_table_path(instance_path: str) -> Path:
    """Where this deployment's counters live: in its instance folder, or when that is missing or
    read-only, in the temporary folder under a name derived from it (every process of one
    deployment on a host finds the same file)."""
    folder = Path(instance_path)
    if folder.is_dir() and os.access(folder, os.W_OK):
        return folder / "ratelimit-v1.table"
    tag = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"platform-ratelimit-{os.getuid()}-{tag}.table"


class RateLimiter:
    """The limits of a spec ("600/minute;20/second"), counted in `HostWindows` or, given a Redis
    URI, in Redis."""

    def __init__(self, *, host: HostWindows | None = None, storage_uri: str | None = None):
        if (host is None) == (storage_uri is None):
            raise ValueError("give either host windows or a storage URI")
        self.local = host
        if host is None:
            self.storage = storage_from_string(storage_uri)
            self.strategy = SlidingWindowCounterRateLimiter(self.storage)
        self._parsed: dict[str, list] = {}

    def _limits(self, spec: str):
        if spec not in self._parsed:
            self._parsed[spec] = parse_many(spec)
        return self._parsed[spec]

    def check(self, spec: str, *key: str) -> None:
        """Count one hit against every limit in `spec`; raise 429 past any of them."""
        for item in self._limits(spec):
            if self.local is not None:
                wait = self.local.hit(item.key_for(*key), item.amount, item.get_expiry())
                if wait is not None:
                    raise RateLimited(wait)
                continue
            try:
                allowed = self.strategy.hit(item, *key)
                if allowed:
                    continue
                stats = self.strategy.get_window_stats(item, *key)
            except Exception:  # a limiter outage must not take the API down with it
                log.warning("rate limiter unavailable; request allowed", exc_info=True)
                return
            raise RateLimited(int(stats.reset_time - time.time()) + 1)

    def reset(self) -> None:
        if self.local is not None:
            self.local.reset()
        else:
            self.storage.reset()


def init_app(app, settings) -> None:
    if settings.redis_url:
        app.extensions["platform_ratelimit"] = RateLimiter(storage_uri=settings.redis_url)
    else:
        app.extensions["platform_ratelimit"] = RateLimiter(host=HostWindows(host_table_path(settings.instance_path)))


def limiter(app=None) -> RateLimiter:
    from flask import current_app

    return (app or current_app).extensions["platform_ratelimit"]
