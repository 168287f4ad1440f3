"""The integrator guides (docs/*.md) served as pages: linked from /docs, safe, and true to the code."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from platform_api.events.models import TYPES as EVENT_TYPES
from platform_api.investors.models import INVESTOR_KINDS
from platform_api.matching.models import DECLINE_REASONS, NO_DEAL_REASONS
from platform_api.matching.models import STATUSES as MATCH_STATUSES
from platform_api.members.models import KINDS
from platform_api.members.models import STATUSES as MEMBER_STATUSES
from platform_api.referrals.models import BASES, DISPUTE_TYPES, EVENT_TYPES as REFERRAL_EVENTS, OUTCOMES, PROCEDURES
from platform_api.referrals.models import STATUSES as REFERRAL_STATUSES
from platform_api.config import DEFAULT_SCOPES
from platform_api.site import guides
from platform_api.technologies.models import DEAL_TYPES, FIELDS, IP_KINDS, IP_STATUSES
from platform_api.technologies.models import STATUSES as LISTING_STATUSES
from platform_api.technologies.schemas import REGIONAL_OFFICES

ROOT = Path(__file__).resolve().parents[2]
NAMES = list(guides.GUIDES)


@pytest.mark.parametrize("name", NAMES)
def test_each_guide_is_a_page_with_the_site_headers(client, name):
    resp = client.get(f"/docs/{name}")
    assert resp.status_code == 200
    assert resp.mimetype == "text/html"
    csp = resp.headers["Content-Security-Policy"]
    assert csp.startswith("default-src 'self'") and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    html = resp.get_data(as_text=True)
    assert '<html lang="en">' in html and html.count("<h1") == 1
    assert "<script" not in html and "style=" not in html and "<style" not in html
    assert 'href="/docs"' in html  # back to the reference
    for other in NAMES:
        if other != name:
            assert f'href="/docs/{other}"' in html, other


def test_the_reference_page_links_every_guide(client):
    html = client.get("/docs").get_data(as_text=True)
    assert 'id="guides"' in html
    for name in NAMES:
        assert f'href="/docs/{name}"' in html, name


@pytest.mark.parametrize("name", NAMES)
def test_every_link_of_a_guide_resolves_here(client, name):
    html = client.get(f"/docs/{name}").get_data(as_text=True)
    pages = {}
    for url in re.findall(r'href="([^"]+)"', html):
        assert url.startswith(("/", "#")), f"{name}: a link leaves the site: {url}"
        path, _, fragment = url.partition("#")
        path = path or f"/docs/{name}"
        if path not in pages:
            resp = client.get(path)
            assert resp.status_code == 200, (name, url)
            pages[path] = resp.get_data(as_text=True)
        if fragment and path.startswith("/docs/"):
            assert f'id="{fragment}"' in pages[path], (name, url)


def test_guides_escape_html_and_keep_repository_links_as_text():
    html, sections = guides.render(
        "# T\n\n## One `x`\n\nA <script>alert(1)</script> [bad](javascript:alert(1)) "
        "[other](conventions.md#errors) [spec](../openapi.yaml) [code](../platform_api/app.py)\n\n"
        "## One `x`\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    )
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript' not in html
    assert '<a href="/docs/conventions#errors">other</a>' in html
    assert '<a href="/openapi.yaml">spec</a>' in html
    assert "code" in html and "platform_api/app.py" not in html
    assert '<h2 id="one-x">' in html and '<h2 id="one-x-2">' in html
    assert "<table>" in html and "<td>1</td>" in html
    assert [anchor for anchor, _title in sections] == ["one-x", "one-x-2"]


def test_an_unknown_guide_is_a_404_problem(client):
    resp = client.get("/docs/no-such-guide")
    assert resp.status_code == 404
    assert resp.mimetype == "application/problem+json"


def test_guides_are_read_from_the_configured_folder(make_app, tmp_path):
    """An installed copy reads PLATFORM_DOCS_PATH (the Docker image copies docs/ there)."""
    for file, _title in guides.GUIDES.values():
        shutil.copy(ROOT / "docs" / file, tmp_path / file)
    (tmp_path / "domain.md").write_text("# Domain words\n\nFrom the installed copy.\n", encoding="utf-8")
    html = make_app(docs_path=str(tmp_path)).test_client().get("/docs/domain").get_data(as_text=True)
    assert "From the installed copy." in html
    empty = tmp_path / "empty"
    empty.mkdir()
    assert make_app(docs_path=str(empty)).test_client().get("/docs/domain").status_code == 404


def test_the_docker_image_ships_the_guides():
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^COPY docs/?\s+/app/docs/?$", dockerfile, re.M)
    assert "PLATFORM_DOCS_PATH=/app/docs" in dockerfile
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split() if (ROOT / ".dockerignore").exists() else []
    assert "docs" not in ignored and "docs/" not in ignored


def test_the_domain_guide_names_every_code_the_service_accepts():
    text = (ROOT / "docs" / "domain.md").read_text(encoding="utf-8")
    lists = [KINDS, MEMBER_STATUSES, FIELDS, IP_KINDS, IP_STATUSES, DEAL_TYPES, LISTING_STATUSES, INVESTOR_KINDS,
             MATCH_STATUSES, DECLINE_REASONS, NO_DEAL_REASONS, PROCEDURES, BASES, DISPUTE_TYPES,
             REFERRAL_STATUSES, OUTCOMES, REFERRAL_EVENTS, EVENT_TYPES, sorted(REGIONAL_OFFICES)]
    missing = [code for codes in lists for code in codes if f"`{code}`" not in text]
    assert not missing, f"docs/domain.md does not name: {missing}"


def test_the_conventions_guide_names_every_scope():
    text = (ROOT / "docs" / "conventions.md").read_text(encoding="utf-8")
    assert not [s for s in DEFAULT_SCOPES if f"`{s}`" not in text]
