"""The receiver README shows, run as written: it takes a signed delivery once and refuses a forged one."""

from __future__ import annotations

import base64
import json
import os
import re
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

from standardwebhooks.webhooks import Webhook

README = Path(__file__).resolve().parents[2] / "README.md"


def _snippet() -> str:
    text = README.read_text(encoding="utf-8")
    after = text[text.index("A receiver in Python"):]
    return re.search(r"```python\n(.*?)```", after, re.S).group(1)


def test_the_readme_receiver_verifies_signatures(capsys):
    secret = "whsec_" + base64.b64encode(os.urandom(24)).decode()
    code = _snippet()
    assert '"whsec_..."' in code
    scope: dict = {"__name__": "readme_receiver"}
    exec(compile(code.replace('"whsec_..."', repr(secret)), "README.md", "exec"), scope)  # noqa: S102
    client = scope["app"].test_client()
    event_id = str(uuid.uuid4())
    body = json.dumps({"id": event_id, "type": "match.accepted", "created_at": "2026-12-02T04:00:00.000Z",
                       "data": {"object": {"id": "m-1"}}})
    now = datetime.now(timezone.utc)
    headers = {"webhook-id": event_id, "webhook-timestamp": str(int(time.time())),
               "webhook-signature": Webhook(secret).sign(event_id, now, body), "Content-Type": "application/json"}
    assert client.post("/platform-webhooks", data=body, headers=headers).status_code == 204
    assert client.post("/platform-webhooks", data=body, headers=headers).status_code == 204  # a retry
    assert capsys.readouterr().out.count("match.accepted m-1") == 1  # handled once
    forged = {**headers, "webhook-signature": Webhook("whsec_" + base64.b64encode(os.urandom(24)).decode()).sign(
        event_id, now, body)}
    assert client.post("/platform-webhooks", data=body, headers=forged).status_code == 400
    assert client.post("/platform-webhooks", data=body.replace("m-1", "m-2"), headers=headers).status_code == 400
