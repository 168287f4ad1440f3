"""Recomputing a timeline's hashes from the API's responses alone, as an auditor would."""

from __future__ import annotations

import hashlib
import json

GENESIS = "0" * 64


def recompute(events: list[dict]) -> list[str]:
    """Problems found in a timeline as returned by GET /v1/referrals/{id}/events (empty if intact)."""
    problems, prev = [], GENESIS
    for position, event in enumerate(events, start=1):
        doc = {k: v for k, v in event.items() if k not in ("prev_hash", "hash")}
        digest = hashlib.sha256(
            (event["prev_hash"] + json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)).encode("utf-8")
        ).hexdigest()
        if event["sequence"] != position:
            problems.append(f"event {position}: sequence {event['sequence']}")
        if event["prev_hash"] != prev:
            problems.append(f"event {position}: prev_hash does not link")
        if event["hash"] != digest:
            problems.append(f"event {position}: hash does not match")
        prev = event["hash"]
    return problems


def timeline(client, referral_id: str, headers: dict, limit: int = 100) -> list[dict]:
    """Every event, following next_cursor."""
    events, url = [], f"/v1/referrals/{referral_id}/events?limit={limit}"
    while url:
        resp = client.get(url, headers=headers)
        assert resp.status_code == 200, resp.json
        events += resp.json["data"]
        cursor = resp.json["next_cursor"]
        url = f"/v1/referrals/{referral_id}/events?limit={limit}&cursor={cursor}" if cursor else None
    return events
