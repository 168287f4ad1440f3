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

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.orm import aliased

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


class Worker:
    def __init__(self, app, *, batch: int = 16, threads: int = 8, poll: float = 0.1, clock=utcnow,
                 lease: timedelta = LEASE, verify=True):
        self.app = app
        self.settings = app.config["PLATFORM"]
        self.batch = batch
        self.poll = poll
        self.clock = clock
        self.lease = lease
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
        s = self._session()
        try:
            now = self.clock()
            d, earlier = WebhookDelivery, aliased(WebhookDelivery)
            blocked = exists().where(
                earlier.endpoint_id == d.endpoint_id, earlier.object_type == d.object_type,
                earlier.object_id == d.object_id, earlier.event_position < d.event_position,
                earlier.status.in_(("pending", "delivering")),
            )
            due = or_(and_(d.status == "pending", d.next_attempt_at <= now),
                      and_(d.status == "delivering", d.lease_until < now))
            stmt = (
                select(d, WebhookEndpoint).join(WebhookEndpoint, WebhookEndpoint.id == d.endpoint_id)
                .where(WebhookEndpoint.enabled.is_(True), due, ~blocked)
                .order_by(d.next_attempt_at, d.event_position).limit(self.batch)
            )
            if s.get_bind().dialect.name == "postgresql":
                stmt = stmt.with_for_update(of=d, skip_locked=True)
            jobs = []
            for row, endpoint in s.execute(stmt.execution_options(populate_existing=True)).all():
                token = new_id()
                row.status, row.lease_until, row.lease_token = "delivering", now + self.lease, token
                keys = services.signing_keys(endpoint, secret_key=self.settings.secret_key, now=now)
                jobs.append(Job(row.id, token, endpoint.id, endpoint.url, row.event_id, row.body, keys))
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
        """Every result of a batch, in one transaction."""
        s = self._session()
        try:
            now = self.clock()
            for job, out in results:
                self._record_one(s, job, out, now)
            s.commit()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    def _record_one(self, s, job: Job, out: delivery.Outcome, now) -> None:
        d = s.get(WebhookDelivery, job.delivery_id, with_for_update=True, populate_existing=True)
        if d is None:
            return  # the endpoint was deleted meanwhile
        ours = d.lease_token == job.lease_token and d.status == "delivering"
        number = d.attempt_count + 1
        s.add(WebhookAttempt(delivery_id=d.id, number=number, started_at=out.started_at, duration_ms=out.duration_ms,
                             response_status=out.status, response_body=out.body, error=out.error))
        if not ours:
            return  # the lease ran out and another worker has it now
        d.attempt_count = number
        d.last_attempt_at, d.last_response_status, d.last_response_body = out.started_at, out.status, out.body
        d.last_duration_ms, d.last_error = out.duration_ms, out.error
        d.lease_until = d.lease_token = None
        e = WebhookEndpoint
        if out.ok:
            d.status, d.completed_at, d.next_attempt_at = "succeeded", now, None
            s.execute(update(e).where(e.id == job.endpoint_id, e.failing_since.is_not(None)).values(failing_since=None))
            return
        if now - d.window_started_at >= RETRY_WINDOW:
            d.status, d.completed_at, d.next_attempt_at = "failed", now, None
        else:
            d.status, d.next_attempt_at = "pending", now + backoff(number)
        s.execute(update(e).where(e.id == job.endpoint_id, e.failing_since.is_(None)).values(failing_since=now))
        self._maybe_disable(s, job.endpoint_id, now)

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
