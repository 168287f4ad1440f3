"""The event log under concurrent writers (PostgreSQL, gunicorn with several workers): positions
have no gaps, and a reader that follows the stream while others write never misses an event."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests
from sqlalchemy import text as sql

from platform_api.db import make_engine

from ..factories.technologies import technology_body

WRITERS, WRITES = 8, 6


def test_a_reader_following_the_stream_during_concurrent_writes_misses_nothing(service):
    url, headers = service.url, service.headers()
    done = threading.Event()
    seen: list[str] = []

    def follow():
        after = None
        with requests.Session() as http:
            while True:
                finished = done.is_set()  # read once more after the writers stopped
                params = {"limit": 100, **({"after": after} if after else {})}
                page = http.get(f"{url}/v1/events", params=params, headers=headers, timeout=30).json()
                while True:
                    seen.extend(e["id"] for e in page["data"])
                    if page["data"]:
                        after = page["data"][-1]["id"]
                    if not page["next_cursor"]:
                        break
                    page = http.get(f"{url}/v1/events", params={"limit": 100, "cursor": page["next_cursor"]},
                                    headers=headers, timeout=30).json()
                if finished:
                    return
                time.sleep(0.005)

    def write(i):
        made = []
        with requests.Session() as http:
            for _ in range(WRITES):
                resp = http.post(f"{url}/v1/technologies", json=technology_body(), headers=headers, timeout=60)
                assert resp.status_code == 201, resp.text
                tech = resp.json()["id"]
                resp = http.post(f"{url}/v1/technologies/{tech}/submit", headers=headers, timeout=60)
                assert resp.status_code == 200, resp.text
                made.append(tech)
        return made

    engine = make_engine(service.database_url)
    with engine.connect() as conn:
        start = conn.execute(sql("SELECT last_position FROM event_log_state")).scalar_one()
    reader = threading.Thread(target=follow)
    reader.start()
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        made = [t for batch in pool.map(write, range(WRITERS)) for t in batch]
    done.set()
    reader.join(timeout=60)
    with engine.connect() as conn:
        rows = conn.execute(sql("SELECT position, id, object_id FROM events WHERE position > :p ORDER BY position"),
                            {"p": start}).all()
    engine.dispose()
    positions = [r.position for r in rows]
    assert positions == list(range(start + 1, start + 1 + 2 * WRITERS * WRITES))  # no gap, nothing lost
    assert {r.object_id for r in rows} == set(made)
    new = [i for i in seen if i in {r.id for r in rows}]
    assert new == [r.id for r in rows]  # the reader saw every event once, in the log's order
