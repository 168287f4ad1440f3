"""A Python client generated from openapi.yaml as it is works against the app.

openapi-python-client (pinned in the test extra) generates the client the way scripts/contract
does; it then talks to the app in process (httpx's WSGI transport): a token over HTTP Basic, a
listing created, read back through a typed page and changed with If-Match, and the errors parsed
into their models (`ValidationProblem` with its pointers, `Problem`, `OAuthError`).
"""

from __future__ import annotations

import base64
import importlib
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.factories.oauth import make_client

ROOT = Path(__file__).resolve().parent.parent
BASE = "http://127.0.0.1:8000"


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The generated package (`platform_client`), importable for this module's tests."""
    folder = tmp_path_factory.mktemp("generated")
    bin_dir = Path(sys.executable).parent
    result = subprocess.run(
        [str(bin_dir / "openapi-python-client"), "generate", "--path", str(ROOT / "openapi.yaml"),
         "--config", str(ROOT / "contract" / "openapi-python-client.yaml"),
         "--output-path", str(folder / "platform_client"), "--meta", "none", "--fail-on-warning"],
        cwd=folder, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "warning" not in (result.stdout + result.stderr).lower(), result.stdout + result.stderr
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module("platform_client")
    finally:
        sys.path.remove(str(folder))
        for name in [n for n in sys.modules if n == "platform_client" or n.startswith("platform_client.")]:
            del sys.modules[name]


def _module(name: str):
    return importlib.import_module(f"platform_client.{name}")


def test_the_generated_client_runs_the_tour_basics(app, generated):
    models = _module("models")
    issue_token = _module("api.oauth.issue_token")
    create_technology = _module("api.technologies.create_technology")
    update_technology = _module("api.technologies.update_technology")
    list_technologies = _module("api.technologies.list_technologies")
    transport = httpx.WSGITransport(app=app)

    oauth_client, secret = make_client()
    basic = base64.b64encode(f"{oauth_client.client_id}:{secret}".encode()).decode()
    oauth = generated.AuthenticatedClient(base_url=BASE, token=basic, prefix="Basic", httpx_args={"transport": transport})
    token = issue_token.sync(client=oauth, body=models.TokenRequest(
        grant_type=models.TokenRequestGrantType.CLIENT_CREDENTIALS, scope="technologies:read technologies:write"))
    assert isinstance(token, models.TokenResponse), token

    wrong = generated.AuthenticatedClient(base_url=BASE, token=base64.b64encode(b"nobody:nothing").decode(),
                                          prefix="Basic", httpx_args={"transport": transport})
    refused = issue_token.sync_detailed(client=wrong, body=models.TokenRequest(
        grant_type=models.TokenRequestGrantType.CLIENT_CREDENTIALS))
    assert refused.status_code == 401 and isinstance(refused.parsed, models.OAuthError)

    api = generated.AuthenticatedClient(base_url=BASE, token=token.access_token, httpx_args={"transport": transport})
    listing = models.TechnologyCreate.from_dict({
        "title": {"en": "Solid-state electrolyte"}, "summary": {"en": "A sulfide electrolyte."},
        "field": "new_energy", "trl": 6, "deal_types": ["assignment"], "origin_country": "CN",
    })
    created = create_technology.sync_detailed(client=api, body=listing, idempotency_key="generated-client-1")
    assert created.status_code == 201 and isinstance(created.parsed, models.Technology), created.content[:300]
    assert created.parsed.status == models.TechnologyStatus.DRAFT

    page = list_technologies.sync(client=api, mine=models.ListTechnologiesMine.TRUE, limit=10)
    assert isinstance(page, models.TechnologyPage)
    assert [t.id for t in page.data] == [created.parsed.id] and isinstance(page.data[0], models.Technology)
    assert page.next_cursor is None

    stale = update_technology.sync_detailed(created.parsed.id, client=api, if_match='"stale"',
                                            body=models.TechnologyPatch.from_dict({"trl": 7}))
    assert stale.status_code == 412 and isinstance(stale.parsed, models.Problem)
    assert stale.parsed.type_ == "/problems/precondition-failed"
    changed = update_technology.sync_detailed(created.parsed.id, client=api, if_match=created.headers["ETag"],
                                              body=models.TechnologyPatch.from_dict({"trl": 7}))
    assert changed.status_code == 200 and changed.parsed.trl == 7

    invalid = create_technology.sync_detailed(client=api, body=models.TechnologyCreate.from_dict({
        **listing.to_dict(), "trl": 10}))
    assert invalid.status_code == 422 and isinstance(invalid.parsed, models.ValidationProblem), invalid.content[:300]
    assert [e.pointer for e in invalid.parsed.errors] == ["/trl"]

    bad_cursor = list_technologies.sync_detailed(client=api, cursor="not-ours")
    assert bad_cursor.status_code == 400 and isinstance(bad_cursor.parsed, models.Problem)
