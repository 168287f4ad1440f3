"""Per-client rate limits: sliding-window counters, in this process or in Redis.

Both count the same way (limits' sliding window counter: this window's hits plus the previous
window's, weighted by how much of it still overlaps the last `period` seconds). With several
workers or hosts, set PLATFORM_REDIS_URL so that they share counters; without it each worker
counts on its own.
"""

from __future__ import annotations

import logging
import math
import threading
import time

from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

from ..errors import RateLimited

log = logging.getLogger("platform_api.ratelimit")


class LocalWindows:
    """Sliding-window counters in this process's memory.

    Used instead of limits' memory storage, which expires its keys from a timer thread that it
    starts anew every 10 ms under load: measured at about 30 us per request on the token endpoint,
    against 2-3 us here. Old windows are swept every `SWEEP_EVERY` hits, so memory stays bounded
    by the keys seen in the last two periods.
    """

    SWEEP_EVERY = 4096

    def __init__(self, clock=time.time):
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, list] = {}  # key -> [window index, hits in it, hits in the previous one, period]
        self._hits = 0

    def hit(self, key: str, limit: int, period: int) -> int | None:
        """Count one hit; None if allowed, else the seconds to wait before one more is."""
        now = self._clock()
        index, into = divmod(now, period)
        with self._lock:
            w = self._windows.get(key)
            if w is None:
                w = self._windows[key] = [index, 0, 0, period]
            elif w[0] != index:
                w[2] = w[1] if w[0] == index - 1 else 0
                w[1] = 0
                w[0] = index
            previous = w[2] * (period - into) / period
            if previous + w[1] + 1 > limit:
                # The previous window's share shrinks as this one goes on; past its end only this
                # window's hits count (and become next window's previous share).
                room = limit - 1 - w[1]
                wait = period - into if room < 0 or w[2] == 0 else (period - into) - room * period / w[2]
                return max(1, math.ceil(wait))
            w[1] += 1
            self._hits += 1
            if self._hits % self.SWEEP_EVERY == 0:
                self._sweep(now)
            return None

    def _sweep(self, now: float) -> None:
        stale = [key for key, (index, _, _, period) in self._windows.items() if index < now // period - 1]
        for key in stale:
            del self._windows[key]

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()


class RateLimiter:
    def __init__(self, storage_uri: str):
        self.local = LocalWindows() if storage_uri == "memory://" else None
        if self.local is None:
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
    uri = settings.redis_url or "memory://"
    app.extensions["platform_ratelimit"] = RateLimiter(uri)


def limiter(app=None) -> RateLimiter:
    from flask import current_app

    return (app or current_app).extensions["platform_ratelimit"]
