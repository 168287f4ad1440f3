"""Health and readiness probes, the OpenAPI document and its offline docs page."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import text

from ..db import session
from ..errors import ServiceUnavailable

bp = Blueprint("site", __name__)


@bp.get("/healthz")
def healthz():
    """The process is alive (no database call)."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    """The database answers; load balancers send traffic only when this is 200."""
    try:
        session().execute(text("SELECT 1"))
    except Exception:
        raise ServiceUnavailable("The database is not reachable.") from None
    return jsonify({"status": "ready", "database": "ok"})


@bp.get("/openapi.yaml")
def openapi_document():
    path = Path(current_app.config["PLATFORM"].openapi_path)
    return Response(path.read_bytes(), mimetype="application/yaml")
