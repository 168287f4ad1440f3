"""gunicorn settings. Every value can be overridden from the environment."""

import os

wsgi_app = "platform_api:create_app()"
bind = os.environ.get("PLATFORM_BIND", "127.0.0.1:8000")
# One sync worker per core measured best here (handlers are CPU-bound; see PERFORMANCE.md).
workers = int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 2))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
# Recycle workers now and then so that slow leaks cannot grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = 2000
# The app writes its own structured access log line per request (platform_api.logs).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# The front server's limits, as openapi.yaml's info.description states them (tests/api/test_limits.py
# checks that every request the document calls valid fits): past them gunicorn answers its own
# plain 400 (431 for headers) before the app runs - no problem document, no X-Request-ID.
# The request line (method, path, query string, version): 8190 bytes, gunicorn's largest bounded value.
limit_request_line = 8190
# At most 100 header fields, each (name, colon, value) at most 8190 bytes (gunicorn's default).
limit_request_fields = 100
limit_request_field_size = 8190
# Bodies are bounded by the app (MAX_CONTENT_LENGTH, 1 MiB: a 413 problem document).

# --- Prometheus metrics (platform_api.metrics) ------------------------------------------------
# Workers write their counters to files in one folder, and GET /metrics adds up every worker's.
# prometheus-client picks multiprocess mode when first imported, so the folder is named here, in
# the master, before any worker imports the app (and prometheus_client is only imported in hooks).
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    import tempfile

    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="platform-metrics-")
    os.environ["PLATFORM_METRICS_DIR_OWNED"] = os.environ["PROMETHEUS_MULTIPROC_DIR"]


# Imported here, once, after the folder is known: child_exit runs in the master's SIGCHLD
# handler, where importing could interleave with an import already under way.
from prometheus_client import multiprocess as _prometheus_multiprocess  # noqa: E402


def on_starting(server):
    """Start counting from zero: drop what an earlier run left in the metrics folder."""
    import glob

    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(folder, exist_ok=True)
    for path in glob.glob(os.path.join(folder, "*.db")):
        os.remove(path)


def child_exit(server, worker):
    """A worker is gone: its live gauges go; its counters stay in the totals."""
    _prometheus_multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    """Remove the metrics folder if this config made it."""
    owned = os.environ.get("PLATFORM_METRICS_DIR_OWNED")
    if owned and owned == os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        import shutil

        shutil.rmtree(owned, ignore_errors=True)
