"""Health and readiness probes, the OpenAPI document, its offline docs page and problem pages."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, jsonify, render_template
from sqlalchemy import text

from ..db import session
from ..errors import ApiError, ServiceUnavailable
from . import docs, guides
from .markdown import render
from .problems import problem_page, problem_pages

bp = Blueprint("site", __name__)
log = logging.getLogger("platform_api.site")


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


def _contract() -> tuple[bytes, docs.Docs]:
    """openapi.yaml and its docs model, read once per process."""
    cached = current_app.extensions.get("platform_openapi")
    if cached is None:
        cached = docs.load(current_app.config["PLATFORM"].openapi_path)
        current_app.extensions["platform_openapi"] = cached
    return cached


@bp.get("/openapi.yaml")
def openapi_document():
    return Response(_contract()[0], mimetype="application/yaml")


@bp.get("/docs")
def docs_page():
    html = current_app.extensions.get("platform_docs_html")
    if html is None:  # nothing on the page depends on the request: render it once
        html = render_template("docs.html", docs=_contract()[1], problems=problem_pages(), markdown=render,
                               guides=guides.GUIDES)
        current_app.extensions["platform_docs_html"] = html
    return html


@bp.get("/docs/<name>")
def guide_page(name: str):
    """An integrator guide (docs/<name>.md), rendered once per process."""
    pages = current_app.extensions.setdefault("platform_guides", {})
    if name not in pages:
        folder = current_app.config["PLATFORM"].docs_path
        try:
            guide = guides.load(folder, name)
        except FileNotFoundError:
            log.error("guide %s is missing from %s (PLATFORM_DOCS_PATH)", name, folder)
            guide = None
        if guide is None:
            raise ApiError("There is no guide with this name.", status=404, slug="not-found")
        pages[name] = render_template("guide.html", guide=guide, guides=guides.GUIDES)
    return pages[name]


@bp.get("/problems/<slug>")
def problem_type(slug: str):
    page = problem_page(slug)
    if page is None:
        raise ApiError("There is no problem type with this name.", status=404, slug="not-found")
    return render_template("problem.html", problem=page, markdown=render)
