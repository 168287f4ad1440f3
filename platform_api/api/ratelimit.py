"""Per-client rate limits, counted in Redis when several processes must share counters."""

from __future__ import annotations

import logging
import time

from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

from ..errors import RateLimited

log = logging.getLogger("platform_api.ratelimit")


class RateLimiter:
    def __init__(self, storage_uri: str):
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
        self.storage.reset()


def init_app(app, settings) -> None:
    uri = settings.redis_url or "memory://"
    app.extensions["platform_ratelimit"] = RateLimiter(uri)


def limiter(app=None) -> RateLimiter:
    from flask import current_app

    return (app or current_app).extensions["platform_ratelimit"]
