"""The in-process sliding-window counters (what runs without PLATFORM_REDIS_URL)."""

from __future__ import annotations

import threading

import pytest

from platform_api.api.ratelimit import LocalWindows, RateLimiter
from platform_api.errors import RateLimited


class Clock:
    def __init__(self, now: float = 6000.0):  # a multiple of 60: a minute window starts here
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_counts_up_to_the_limit_then_says_how_long_to_wait():
    clock = Clock()
    w = LocalWindows(clock)
    assert [w.hit("k", 3, 60) for _ in range(3)] == [None, None, None]
    clock.now += 20
    assert w.hit("k", 3, 60) == 40  # only the next window has room
    assert w.hit("other", 3, 60) is None  # keys count apart


def test_the_previous_window_counts_for_the_part_that_still_overlaps():
    clock = Clock()
    w = LocalWindows(clock)
    for _ in range(10):
        assert w.hit("k", 10, 60) is None
    clock.now += 60 + 15  # a quarter into the next window: 3/4 of the 10 hits still count
    assert [w.hit("k", 10, 60) for _ in range(2)] == [None, None]  # 7.5 + 2 <= 10
    wait = w.hit("k", 10, 60)  # 7.5 + 2 + 1 > 10: wait until the previous share is down to 7
    assert wait == 3  # 10 x (45 - t) / 60 <= 7 from t = 3 s on
    clock.now += wait
    assert w.hit("k", 10, 60) is None
    clock.now += 120  # two windows later nothing counts any more
    assert [w.hit("k", 10, 60) for _ in range(10)] == [None] * 10


def test_old_windows_are_swept():
    clock = Clock()
    w = LocalWindows(clock)
    w.SWEEP_EVERY = 10
    for i in range(5):
        w.hit(f"gone-{i}", 100, 60)
    clock.now += 180
    for _ in range(10):
        w.hit("live", 100, 60)
    assert set(w._windows) == {"live"}


def test_the_limiter_raises_429_with_retry_after_and_resets():
    limiter = RateLimiter("memory://")
    limiter.check("2/minute", "client", "a")
    limiter.check("2/minute", "client", "a")
    with pytest.raises(RateLimited) as refused:
        limiter.check("2/minute", "client", "a")
    assert 1 <= int(refused.value.headers["Retry-After"]) <= 61
    limiter.check("2/minute", "client", "b")
    limiter.reset()
    limiter.check("2/minute", "client", "a")


def test_every_limit_of_a_spec_counts():
    limiter = RateLimiter("memory://")
    limiter.check("100/minute;1/second", "client", "a")
    with pytest.raises(RateLimited):
        limiter.check("100/minute;1/second", "client", "a")


def test_concurrent_hits_are_all_counted():
    w = LocalWindows()
    allowed = []

    def hammer():
        allowed.extend(r for r in (w.hit("k", 1000, 3600) for _ in range(300)) if r is None)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(allowed) == 1000
