"""The webhook worker: dispatch, claim due deliveries, send them concurrently, record the results.

`platform-admin webhooks worker` runs `Worker.run()` until SIGTERM or SIGINT, then finishes the
batch in hand. Any number may run on PostgreSQL: each claims a batch with `SELECT ... FOR UPDATE
SKIP LOCKED` and leases it (status `delivering`, `lease_until`); a worker killed mid-delivery
leaves its lease to run out (LEASE), and the delivery is claimed again. A result is recorded only
under the lease it was claimed with. On SQLite run one (writers queue on the database lock).

Order: a delivery is not claimed while an earlier delivery (by log position) for the same
endpoint and object is not final, so one object's events reach an endpoint in order.

Retries: a delivery that fails (no 2xx within 10 s, a refused address, a connection error) is
tried again after 5 s x 4^(n-1) for the n-th failure, capped at 6 h, each with +-20% jitter:
about 5 s, 20 s, 80 s, 5 min, 21 min, 85 min, 5.7 h, then every 6 h, until the first failure at
least RETRY_WINDOW (3 days) after the delivery was created (or redelivered): then it is
`failed`. An endpoint whose attempts have all failed for DISABLE_AFTER (5 days) is disabled
(`disabled_reason: failing`) and its member gets a `webhook_endpoint.disabled` event.
Ended deliveries stay until `platform-admin webhooks purge` (30 days by default).
"""

from __future__ import annotations

import logging
import random
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, bindparam, exists, insert, or_, select, update
from sqlalchemy import event as sa_event

from .. import events
from ..db import get_db, new_id, utcnow
from . import delivery, dispatch, representations, secrets, services, urls
from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
RETRY_WINDOW = timedelta(days=3)
DISABLE_AFTER = timedelta(days=5)
FIRST_RETRY_S = 5.0
MAX_RETRY_S = 6 * 3600.0


def backoff(failures: int, rand=random.random) -> timedelta:
    """How long after its `failures`-th failed attempt a delivery is tried again."""
    base = min(FIRST_RETRY_S * 4 ** (failures - 1), MAX_RETRY_S)
    return timedelta(seconds=base * (0.8 + 0.4 * rand()))


@dataclass
class Job:
    delivery_id: str
    lease_token: str
    endpoint_id: str
    url: str
    event_id: str
    body: str
    keys: list


def _plan_each_time(engine) -> None:
    """PostgreSQL plans the worker's statements at each execution. A worker polls an empty
    queue for hours, and a statement prepared then keeps the generic plan of an empty table
    (a nested loop over every due row for the order check) when a burst of events arrives:
    measured, 20 s per claim of 100 with 10,000 due, against 40 ms planned afresh."""
    if engine.dialect.name != "postgresql" or getattr(engine, "_platform_plans_each_time", False):
        return

    @sa_event.listens_for(engine, "connect")
    def _custom_plans(dbapi_connection, _record):
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET plan_cache_mode = force_custom_plan")
        dbapi_connection.commit()

    engine._platform_plans_each_time = True
    engine.dispose()  # connections made before this go: every one from now on plans afresh


class Worker:
    def __init__(self, app, *, batch: int = 16, threads: int = 8, poll: float = 0.1, clock=utcnow,
                 lease: timedelta = LEASE, verify=True):
        self.app = app
        self.settings = app.config["PLATFORM"]
        self.batch = batch
        self.poll = poll
        self.clock = clock
        self.lease = lease
        _plan_each_time(get_db(app).engine)
        self.clients = delivery.Clients(verify=verify)  # `verify`: the CAs trusted (tests give their own)
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="webhook")
        self.stopping = False
        self.sent = 0  # attempts made, for the operator
        self.in_hand: list[Job] = []

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        self.clients.close()

    def _session(self):
        return get_db(self.app).sessionmaker()

    # One round: dispatch, claim, send, record.
    def run_once(self) -> int:
        """One round; how many deliveries it sent."""
        with self.app.app_context():
            self.dispatch()
            jobs = self.claim()
            if not jobs:
                return 0
            self.in_hand = jobs
            outcomes = list(self.pool.map(self.send, jobs))
            self.record(list(zip(jobs, outcomes)))
            self.in_hand = []
            self.sent += len(jobs)
            return len(jobs)

    def drain(self, *, rounds: int = 1000) -> int:
        """Run rounds until nothing is due now (tests; a retry due later is left); how many sent."""
        sent = 0
        for _ in range(rounds):
            n = self.run_once()
            if n == 0:
                return sent
            sent += n
        raise RuntimeError("the worker did not drain")

    def run(self) -> None:
        """Until SIGTERM or SIGINT; the batch in hand is finished first."""
        def _stop(_signum, _frame):
            self.stopping = True

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        try:
            while not self.stopping:
                pause = 0.0
                try:
                    if self.run_once() == 0:
                        pause = self.poll
                except Exception:  # the database went away, say: log it, wait, go on
                    log.exception("webhooks worker: round failed; retrying in 1 s")
                    pause = 1.0
                if pause and not self.stopping:
                    time.sleep(pause)
        finally:
            self.close()

    def dispatch(self) -> int:
        s = self._session()
        try:
            while True:
                n = dispatch.dispatch(s, now=self.clock())
                s.commit()
                if n < dispatch.BATCH:
                    return n
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    def claim(self) -> list[Job]:
        """Lease up to `batch` due deliveries with one UPDATE (on PostgreSQL over rows locked
        with SKIP LOCKED, so that workers never claim the same one) and read their endpoints."""
        s = self._session()
        try:
            now = self.clock()
            d, earlier = WebhookDelivery.__table__, WebhookDelivery.__table__.alias("earlier")
            blocked = exists().where(
                earlier.c.endpoint_id == d.c.endpoint_id, earlier.c.object_type == d.c.object_type,
                earlier.c.object_id == d.c.object_id, earlier.c.event_position < d.c.event_position,
                earlier.c.status.in_(("pending", "delivering")),
            )
            due = or_(and_(d.c.status == "pending", d.c.next_attempt_at <= now),
                      and_(d.c.status == "delivering", d.c.lease_until < now))
            enabled = select(WebhookEndpoint.id).where(WebhookEndpoint.enabled.is_(True))
            chosen = (
                select(d.c.id).where(d.c.endpoint_id.in_(enabled), due, ~blocked)
                .order_by(d.c.next_attempt_at, d.c.event_position).limit(self.batch)
            )
            if s.get_bind().dialect.name == "postgresql":
                chosen = chosen.with_for_update(of=d, skip_locked=True)
            # A CTE, run once: as `id IN (subquery)` PostgreSQL may run the LIMIT ... SKIP LOCKED
            # subquery again for each row it scans (a generic plan did, claiming every due row).
            chosen = chosen.cte("chosen").prefix_with("MATERIALIZED", dialect="postgresql")
            token = new_id()
            rows = s.execute(
                update(d).where(d.c.id == chosen.c.id)
                .values(status="delivering", lease_until=now + self.lease, lease_token=token)
                .returning(d.c.id, d.c.endpoint_id, d.c.event_id, d.c.body)
            ).all()
            endpoints = {e.id: e for e in s.scalars(
                select(WebhookEndpoint).where(WebhookEndpoint.id.in_({r.endpoint_id for r in rows})))} if rows else {}
            keys = {i: services.signing_keys(e, secret_key=self.settings.secret_key, now=now) for i, e in endpoints.items()}
            jobs = [Job(r.id, token, r.endpoint_id, endpoints[r.endpoint_id].url, r.event_id, r.body,
                        keys[r.endpoint_id]) for r in rows]
            s.commit()
            return jobs
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    def send(self, job: Job) -> delivery.Outcome:
        started = utcnow()
        try:
            return self._send(job, started)
        except Exception as exc:  # never lose a batch to one odd delivery: it is retried
            log.exception("webhooks worker: sending delivery %s failed", job.delivery_id)
            return delivery.Outcome(started, 0, error=f"internal error: {type(exc).__name__}")

    def _send(self, job: Job, started) -> delivery.Outcome:
        try:
            target = urls.check(job.url, allow_loopback=self.settings.loopback_webhooks,
                                allow=self.settings.webhook_allow_networks)
        except urls.UnsafeURL as exc:
            return delivery.Outcome(started, 0, error=f"refused: {exc}"[:500])
        timestamp = int(time.time())
        headers = {
            "webhook-id": job.event_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": secrets.signature_header(job.keys, job.event_id, timestamp, job.body),
        }
        return delivery.post(self.clients.get(target), target, headers, job.body, started_at=started)

    def record(self, results: list[tuple[Job, delivery.Outcome]]) -> None:
        """Every result of a batch, in one transaction and a handful of statements: the batch's
        rows read and locked at once, every attempt inserted at once, every delivery updated in
        one executemany, the endpoints' failing state in one statement each way."""
        s = self._session()
        try:
            now = self.clock()
            d = WebhookDelivery.__table__
            rows = {r.id: r for r in s.execute(
                select(d.c.id, d.c.lease_token, d.c.status, d.c.attempt_count, d.c.window_started_at)
                .where(d.c.id.in_([job.delivery_id for job, _out in results])).with_for_update()
            )}
            attempts, changes, ok_endpoints, failing_endpoints = [], [], set(), set()
            for job, out in results:
                row = rows.get(job.delivery_id)
                if row is None:
                    continue  # the endpoint was deleted meanwhile
                number = row.attempt_count + 1
                attempts.append({"id": new_id(), "delivery_id": row.id, "number": number, "started_at": out.started_at,
                                 "duration_ms": out.duration_ms, "response_status": out.status,
                                 "response_body": out.body, "error": out.error})
                if row.lease_token != job.lease_token or row.status != "delivering":
                    continue  # the lease ran out and another worker has it now
                change = {"b_id": row.id, "attempt_count": number, "last_attempt_at": out.started_at,
                          "last_response_status": out.status, "last_response_body": out.body,
                          "last_duration_ms": out.duration_ms, "last_error": out.error}
                if out.ok:
                    change.update(status="succeeded", completed_at=now, next_attempt_at=None)
                    ok_endpoints.add(job.endpoint_id)
                elif now - row.window_started_at >= RETRY_WINDOW:
                    change.update(status="failed", completed_at=now, next_attempt_at=None)
                    failing_endpoints.add(job.endpoint_id)
                else:
                    change.update(status="pending", completed_at=None, next_attempt_at=now + backoff(number))
                    failing_endpoints.add(job.endpoint_id)
                changes.append(change)
            if attempts:
                s.execute(insert(WebhookAttempt), attempts)
            if changes:
                s.connection().execute(
                    update(d).where(d.c.id == bindparam("b_id"))
                    .values(lease_until=None, lease_token=None,
                            **{k: bindparam(k) for k in changes[0] if k != "b_id"}),
                    changes,
                )
            e = WebhookEndpoint
            if ok_endpoints:  # an endpoint that answered is not failing (any more)
                s.execute(update(e).where(e.id.in_(ok_endpoints), e.failing_since.is_not(None))
                          .values(failing_since=None).execution_options(synchronize_session=False))
            failing_endpoints -= ok_endpoints
            if failing_endpoints:
                s.execute(update(e).where(e.id.in_(failing_endpoints), e.failing_since.is_(None))
                          .values(failing_since=now).execution_options(synchronize_session=False))
                for endpoint_id in sorted(failing_endpoints):
                    self._maybe_disable(s, endpoint_id, now)
            s.commit()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    def _maybe_disable(self, s, endpoint_id: str, now) -> None:
        e = WebhookEndpoint
        result = s.execute(
            update(e).where(e.id == endpoint_id, e.enabled.is_(True), e.failing_since <= now - DISABLE_AFTER)
            .values(enabled=False, disabled_reason="failing", updated_at=now, version=e.version + 1)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            endpoint = s.get(WebhookEndpoint, endpoint_id, populate_existing=True)
            events.emit(s, "webhook_endpoint.disabled", subject=("webhook_endpoint", endpoint.id),
                        recipients={endpoint.member_id: {"object": representations.endpoint(endpoint)}})
