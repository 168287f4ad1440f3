"""docs/dpop.md's client example, run as written against the server: it gets a DPoP-bound token
and calls the API with it; the same token sent as a bearer token is refused."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from tests.factories.oauth import make_client

DOC = Path(__file__).resolve().parents[1] / "docs" / "dpop.md"
ISSUER = "http://127.0.0.1:8000"  # the test settings' issuer


def _snippet() -> str:
    text = DOC.read_text(encoding="utf-8")
    after = text[text.index("## Getting and using a token"):]
    return re.search(r"```python\n(.*?)```", after, re.S).group(1)


def test_the_documented_client_gets_a_dpop_token_and_calls_the_api(app, capsys):
    oc, secret = make_client(scopes=["members:read"], dpop_bound_access_tokens=True)
    code = _snippet()
    placeholders = ['ISSUER = "https://api.example.org"', 'CLIENT_ID, CLIENT_SECRET = "cl_...", "..."',
                    "http = httpx.Client(base_url=ISSUER)"]
    assert all(p in code for p in placeholders)
    code = (code.replace(placeholders[0], f"ISSUER = {ISSUER!r}")
                .replace(placeholders[1], f"CLIENT_ID, CLIENT_SECRET = {oc.client_id!r}, {secret!r}")
                .replace(placeholders[2], "http = httpx.Client(base_url=ISSUER, transport=httpx.WSGITransport(app=app))"))
    scope: dict = {"__name__": "docs_dpop", "app": app}
    exec(compile(code, str(DOC), "exec"), scope)  # noqa: S102
    assert capsys.readouterr().out.strip() == f"calling as {oc.client_id}"

    # What the example holds is a DPoP-bound token: as a bearer token it does nothing.
    http = httpx.Client(base_url=ISSUER, transport=httpx.WSGITransport(app=app))
    resp = http.get("/v1/me", headers={"Authorization": f"Bearer {scope['access_token']}"})
    assert resp.status_code == 401 and resp.headers["WWW-Authenticate"].startswith("DPoP ")
