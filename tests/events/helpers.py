"""Reading a member's event stream as its system would."""

from __future__ import annotations

from tests.factories.oauth import ClientFactory, make_token

EVERY_SCOPE = ["technologies:read", "technologies:write", "investors:read", "investors:write", "matches:read",
               "matches:write", "referrals:read", "referrals:write", "members:read", "events:read"]


def headers_for(member, scopes=EVERY_SCOPE) -> dict:
    _token, value = make_token(ClientFactory(member=member), scopes=list(scopes))
    return {"Authorization": f"Bearer {value}"}


def stream(client, headers: dict, query: str = "", limit: int = 100) -> list[dict]:
    """Every event of the caller's stream (with `query`) since the test began, following
    next_cursor to the end. (Tests that commit for real may leave public events behind.)"""
    query = "&".join(q for q in (query, f"created_after={SINCE[0]}" if SINCE else "") if q)
    out, url = [], f"/v1/events?limit={limit}" + (f"&{query}" if query else "")
    while url:
        resp = client.get(url, headers=headers)
        assert resp.status_code == 200, resp.json
        out.extend(resp.json["data"])
        cursor = resp.json["next_cursor"]
        url = f"/v1/events?limit={limit}&cursor={cursor}" + (f"&{query}" if query else "") if cursor else None
    return out


#: When the running test began (set by tests/events/conftest.py), or empty.
SINCE: list[str] = []


def types(events: list[dict]) -> list[str]:
    return [e["type"] for e in events]
