"""The sliding-window counters every process of a host shares (what runs without PLATFORM_REDIS_URL)."""

from __future__ import annotations

import multiprocessing
import os
import threading

import pytest

from platform_api.api.ratelimit import HostWindows, RateLimiter, host_table_path
from platform_api.errors import RateLimited


class Clock:
    def __init__(self, now: float = 6000.0):  # a multiple of 60: a minute window starts here
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def table(tmp_path):
    return tmp_path / "ratelimit.table"


def test_counts_up_to_the_limit_then_says_how_long_to_wait(table):
    clock = Clock()
    w = HostWindows(table, clock)
    assert [w.hit("k", 3, 60) for _ in range(3)] == [None, None, None]
    clock.now += 20
    assert w.hit("k", 3, 60) == 40  # only the next window has room
    assert w.hit("other", 3, 60) is None  # keys count apart


def test_the_previous_window_counts_for_the_part_that_still_overlaps(table):
    clock = Clock()
    w = HostWindows(table, clock)
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


def test_two_tables_on_one_file_share_their_counts(table):
    """Two workers of a host map the same file: a hit in one counts in the other."""
    clock = Clock()
    first, second = HostWindows(table, clock), HostWindows(table, clock)
    assert [first.hit("k", 4, 60), second.hit("k", 4, 60), first.hit("k", 4, 60), second.hit("k", 4, 60)] == [None] * 4
    assert first.hit("k", 4, 60) is not None and second.hit("k", 4, 60) is not None
    second.reset()
    assert first.hit("k", 4, 60) is None


def _hammer(path: str, n: int, out) -> None:
    w = HostWindows(path)
    out.put(sum(1 for _ in range(n) if w.hit("shared", 1000, 3600) is None))


def test_processes_hitting_one_key_at_once_are_all_counted(table):
    """Four processes, 600 hits each, against a limit of 1,000: exactly 1,000 are allowed."""
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    procs = [ctx.Process(target=_hammer, args=(str(table), 600, out)) for _ in range(4)]
    for p in procs:
        p.start()
    allowed = sum(out.get(timeout=60) for _ in procs)
    for p in procs:
        p.join(timeout=60)
    assert allowed == 1000


def test_threads_hitting_one_key_at_once_are_all_counted(table):
    w = HostWindows(table)
    allowed = []

    def hammer():
        allowed.extend(r for r in (w.hit("k", 1000, 3600) for _ in range(300)) if r is None)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(allowed) == 1000


def test_windows_that_are_over_free_their_slots(table):
    clock = Clock()
    w = HostWindows(table, clock)
    w.SLOTS, w.PROBE = 4, 4  # a tiny table (the file keeps its size; only 4 slots are used)
    for i in range(4):
        assert w.hit(f"gone-{i}", 1, 60) is None
    clock.now += 180  # both windows of every key are over
    for i in range(4):
        assert w.hit(f"new-{i}", 1, 60) is None
        assert w.hit(f"new-{i}", 1, 60) is not None  # each new key has a slot of its own


def test_a_flood_of_new_keys_cannot_push_out_a_busy_counter(table):
    """With every slot live, the counter with the fewest hits gives way, never the busiest."""
    clock = Clock()
    w = HostWindows(table, clock)
    w.SLOTS, w.PROBE = 4, 4
    for _ in range(10):
        assert w.hit("victim@example.org", 10, 60) is None
    for i in range(200):  # a spray of one-off keys, all live
        w.hit(f"spray-{i}@example.org", 10, 60)
    assert w.hit("victim@example.org", 10, 60) is not None  # still at its limit


def test_the_table_lives_in_the_instance_folder_or_else_in_the_temporary_folder(tmp_path):
    assert host_table_path(str(tmp_path)) == tmp_path / "ratelimit-v1.table"
    missing = tmp_path / "not-there"
    fallback = host_table_path(str(missing))
    assert fallback.parent != missing and fallback == host_table_path(str(missing))  # the same for every process
    assert str(os.getuid()) in fallback.name


def test_the_limiter_raises_429_with_retry_after_and_resets(table):
    limiter = RateLimiter(host=HostWindows(table))
    limiter.check("2/minute", "client", "a")
    limiter.check("2/minute", "client", "a")
    with pytest.raises(RateLimited) as refused:
        limiter.check("2/minute", "client", "a")
    assert 1 <= int(refused.value.headers["Retry-After"]) <= 61
    limiter.check("2/minute", "client", "b")
    limiter.reset()
    limiter.check("2/minute", "client", "a")


def test_every_limit_of_a_spec_counts(table):
    limiter = RateLimiter(host=HostWindows(table))
    limiter.check("100/minute;1/second", "client", "a")
    with pytest.raises(RateLimited):
        limiter.check("100/minute;1/second", "client", "a")
