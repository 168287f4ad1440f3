"""README's Python client (Authlib's OAuth2Session), run as written against the app in-process."""

from __future__ import annotations

import re
import time
from pathlib import Path

import authlib.integrations.requests_client as requests_client
from sqlalchemy import func, select

from platform_api.oauth.models import Token
from tests.factories.members import MemberFactory
from tests.factories.oauth import make_client
from tests.factories.technologies import make_technology
from tests.wsgi_transport import session_for

README = Path(__file__).resolve().parents[2] / "README.md"


def _snippet() -> str:
    text = README.read_text(encoding="utf-8")
    after = text[text.index("### A client in Python"):]
    return re.search(r"```python\n(.*?)```", after, re.S).group(1)


def test_the_readme_client_gets_a_token_and_calls_the_api(app, monkeypatch, capsys, db_session):
    member = MemberFactory(name="Huaxia University Technology Transfer Center")
    listing = make_technology(member, title={"en": "Sodium-ion battery cathode", "zh": "钠离子电池正极"})
    oauth_client, secret = make_client(member=member, scopes=["members:read", "technologies:read"])
    monkeypatch.setenv("CLIENT_ID", oauth_client.client_id)
    monkeypatch.setenv("CLIENT_SECRET", secret)
    monkeypatch.delenv("PLATFORM_URL", raising=False)

    class InProcess(requests_client.OAuth2Session):  # the same session, its requests sent to the app
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            session_for(app, self)

    monkeypatch.setattr(requests_client, "OAuth2Session", InProcess)
    scope: dict = {"__name__": "readme_client"}
    exec(compile(_snippet(), "README.md", "exec"), scope)  # noqa: S102

    out = capsys.readouterr().out
    assert "acting for Huaxia University Technology Transfer Center" in out
    assert f"{listing.id} Sodium-ion battery cathode" in out
    assert "400 /problems/invalid-parameter Must be greater than or equal to 1 and less than or equal to 100." in out
    client = scope["client"]
    assert client.token["scope"] == "members:read technologies:read"

    # When the token expires the session fetches a new one by itself (client credentials again).
    def tokens() -> int:
        return db_session.scalar(select(func.count()).select_from(Token).where(Token.client_pk == oauth_client.id))

    before = tokens()
    client.token["expires_at"] = int(time.time()) - 10
    assert client.get("http://127.0.0.1:8000/v1/me").status_code == 200
    assert tokens() == before + 1
