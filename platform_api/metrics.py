"""Prometheus metrics: requests and latency by route and status, token issues, errors.

Labels are bounded sets only: the URL rule (`/v1/members/<member_id>`, never the raw path), the
method, the status, the grant type and the problem slug. Never a token, a secret or the ID of a
member or object.

Under gunicorn, PROMETHEUS_MULTIPROC_DIR (set by config/gunicorn.conf.py) switches
prometheus-client to multiprocess mode: every worker writes its values to files in that folder,
and GET /metrics - whichever worker answers it - adds up those of every worker, alive or dead.
prometheus-client chooses the mode when it is first imported, so the variable must be set before
that (gunicorn's config file does it in the master, before any worker imports the app).

GET /metrics is not public by default: it answers 404, like an unknown URL, unless
PLATFORM_METRICS_TOKEN is set; then it wants `Authorization: Bearer <that token>` (401 otherwise).
"""

from __future__ import annotations

import hmac
import os
import time

from flask import Blueprint, Response, current_app, g, request

from .config import ConfigError
from .errors import ApiError

# The Prometheus text format, version 0.0.4: what every Prometheus server reads.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED = "<unmatched>"  # the route label of a request no URL rule matched (its path is never a label)

# Seconds; API calls here take from ~1 ms to a few hundred ms (see PERFORMANCE.md).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

bp = Blueprint("metrics", __name__)


class _Metrics:
    """The process's metric objects: created once, whatever number of apps the process builds."""

    def __init__(self):
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "platform_http_requests",
            "HTTP requests answered, by URL rule, method and status code.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "platform_http_request_duration_seconds",
            "Time from the request reaching the app to its response, by URL rule, method and status class.",
            ["route", "method", "status_class"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.tokens = Counter(
            "platform_oauth_tokens_issued",
            "Access tokens issued by the token endpoint, by grant type.",
            ["grant_type"],
            registry=self.registry,
        )
        self.errors = Counter(
            "platform_http_errors",
            "Error responses: every problem document (by its type slug) and every 5xx, by URL rule and status.",
            ["route", "status", "type"],
            registry=self.registry,
        )

    def exposition(self) -> bytes:
        from prometheus_client import CollectorRegistry, generate_latest

        path = os.environ.get(MULTIPROC_ENV)
        if path:
            from prometheus_client.multiprocess import MultiProcessCollector

            registry = CollectorRegistry()  # a fresh one per scrape, as prometheus-client asks
            MultiProcessCollector(registry, path=path)
            return generate_latest(registry)
        return generate_latest(self.registry)


_metrics: _Metrics | None = None


def metrics() -> _Metrics:
    global _metrics
    if _metrics is None:
        _metrics = _Metrics()
    return _metrics


def _check_multiproc_dir() -> None:
    path = os.environ.get(MULTIPROC_ENV)
    if path and not os.path.isdir(path):
        raise ConfigError(f"{MULTIPROC_ENV} names {path!r}, which is not a directory")


def init_app(app, settings) -> None:
    """Count every response. Register first: after_request hooks run last-registered first, so
    this one sees the response as the other hooks left it."""
    _check_multiproc_dir()
    m = metrics()
    requests_total, latency, tokens, errors = m.requests, m.latency, m.tokens, m.errors

    @app.after_request
    def _count(resp):
        rule = request.url_rule
        route = rule.rule if rule is not None else UNMATCHED
        method = request.method
        status = resp.status_code
        requests_total.labels(route, method, str(status)).inc()
        started = g.get("started")
        if started is not None:
            latency.labels(route, method, f"{status // 100}xx").observe(time.perf_counter() - started)
        problem = g.get("problem_type")
        if problem is not None or status >= 500:
            errors.labels(route, str(status), problem or "none").inc()
        grant = g.get("token_grant")
        if grant is not None and status == 200:
            tokens.labels(grant).inc()
        return resp


class _MetricsUnauthorized(ApiError):
    status, slug = 401, "unauthorized"

    def __init__(self):
        super().__init__(
            "GET /metrics needs the metrics token: Authorization: Bearer <PLATFORM_METRICS_TOKEN>.",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )


@bp.get("/metrics")
def scrape():
    settings = current_app.config["PLATFORM"]
    expected = settings.metrics_token
    if not expected:
        # Off: the same answer as a URL that does not exist.
        raise ApiError("No resource exists at this URL.", status=404, slug="not-found")
    scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(sent.strip().encode(), expected.encode()):
        from .api.ratelimit import limiter

        limiter().check(settings.rate_limit, "anon", request.remote_addr or "-")
        raise _MetricsUnauthorized()
    resp = Response(metrics().exposition(), status=200)
    resp.headers["Content-Type"] = CONTENT_TYPE
    resp.headers["Cache-Control"] = "no-store"
    return resp
