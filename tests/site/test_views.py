import re

import yaml

from platform_api.errors import PROBLEM_TYPES
from platform_api.site.markdown import render
from tests.contract import contract


def test_openapi_document_is_served_as_yaml(client):
    resp = client.get("/openapi.yaml")
    assert resp.status_code == 200
    assert resp.mimetype == "application/yaml"
    assert resp.data == contract().path.read_bytes()
    assert yaml.safe_load(resp.data)["openapi"] == "3.1.0"


def test_docs_page_lists_every_operation_with_its_anchor_and_scope(client):
    resp = client.get("/docs")
    assert resp.status_code == 200
    assert resp.mimetype == "text/html"
    assert resp.headers["Content-Security-Policy"].startswith("default-src 'self'")
    html = resp.get_data(as_text=True)
    for path, item in contract().document["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "patch", "put", "delete"):
                anchor = op["operationId"]
                assert f'id="{anchor}"' in html, anchor
                assert f'href="#{anchor}"' in html, anchor
                article = html[html.index(f'id="{anchor}"') :].split("</article>")[0]
                assert f">{method.upper()}</span>" in article and f'<code class="path">{path}</code>' in article
                for requirement in op.get("security", []):
                    for scope in requirement.get("oauth2", []):
                        assert f"<code>{scope}</code>" in article, (anchor, scope)
    patch = html[html.index('id="updateMember"') :].split("</article>")[0]
    for text in ("<code>If-Match</code>", "<code>contact.email</code>", "1 to 200 characters", "no other fields", ">428<"):
        assert text in patch, text
    listing = html[html.index('id="listMembers"') :].split("</article>")[0]
    assert "1 to 100; default 20" in listing and "<code>Link</code>" in listing
    for heading in ("Errors", "Lists and pagination", "Safe retries: Idempotency-Key", "Concurrent edits: ETag and If-Match"):
        assert f">{heading}</h3>" in html


def test_docs_page_is_accessible_and_self_contained(client):
    html = client.get("/docs").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert html.count("<h1") == 1
    for landmark in ("<header", "<nav", "<main", "<footer"):
        assert landmark in html
    assert 'href="#main"' in html  # skip link
    assert "<script" not in html and "style=" not in html and "<style" not in html
    for url in re.findall(r'(?:href|src)="([^"]+)"', html):
        assert url.startswith(("/", "#")), f"external or odd resource: {url}"
    css = client.get("/static/docs.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
    assert "@import" not in css.get_data(as_text=True) and "url(" not in css.get_data(as_text=True)


def test_every_problem_type_has_a_page(client):
    for slug, title in PROBLEM_TYPES.items():
        resp = client.get(f"/problems/{slug}")
        assert resp.status_code == 200, slug
        assert resp.mimetype == "text/html"
        html = resp.get_data(as_text=True)
        assert f"<h1>{title}</h1>" in html
        assert f"<code>/problems/{slug}</code>" in html
        assert '<html lang="en">' in html


def test_problem_types_the_api_returns_resolve_to_their_page(client):
    problem = client.get("/v1/me").json
    assert client.get(problem["type"]).status_code == 200


def test_unknown_problem_type_is_404_problem(client):
    resp = client.get("/problems/no-such-thing")
    assert resp.status_code == 404
    assert resp.mimetype == "application/problem+json"
    assert resp.json["type"] == "/problems/not-found"


def test_markdown_is_escaped_and_links_stay_local_or_https():
    html = str(render("A <script>alert(1)</script> and `<b>` and [x](javascript:alert(1)) and [docs](/docs)"))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<code>&lt;b&gt;</code>" in html
    assert 'href="javascript' not in html
    assert '<a href="/docs">docs</a>' in html
    listed = " ".join(str(render("Intro\n- one\n  continued\n- two `x`\n\nAfter")).split())
    assert "<p>Intro</p>" in listed and "<p>After</p>" in listed
    assert "<li>one continued</li>" in listed and "<li>two <code>x</code></li>" in listed
