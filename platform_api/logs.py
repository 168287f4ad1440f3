"""Structured JSON logs: one line per request with request ID, member, client and route."""

from __future__ import annotations

import json
import logging
import sys
import time

from flask import g, request

_SAFE_EXTRA = ("request_id", "method", "route", "path", "status", "duration_ms", "member_id", "client_id", "user_id")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key in _SAFE_EXTRA:
            value = getattr(record, key, None)
            if value is not None:
                data[key] = value
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


JsonFormatter.converter = time.gmtime


def configure_logging(app, settings) -> None:
    logger = logging.getLogger("platform_api")
    if not any(getattr(h, "_platform", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        handler._platform = True
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    # Authlib logs whole token responses at DEBUG ("Issue token {...}"): never let that through,
    # whatever level the root logger is set to.
    logging.getLogger("authlib").setLevel(logging.INFO)
    logger.propagate = settings.env == "test"
    access = logging.getLogger("platform_api.access")

    @app.after_request
    def _access_log(resp):
        principal = g.get("principal")
        started = g.get("started")
        access.info(
            "request",
            extra={
                "request_id": g.get("request_id"),
                "method": request.method,
                "route": request.url_rule.rule if request.url_rule else None,
                "path": request.path,
                "status": resp.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
                "member_id": principal.member_id if principal else None,
                "client_id": principal.client.client_id if principal else g.get("oauth_client_id"),
                "user_id": principal.user.id if principal and principal.user else None,
            },
        )
        return resp
