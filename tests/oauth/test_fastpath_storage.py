"""The fast path stores a token row exactly as the Session would (oauth/fastpath.py, part 2).

On PostgreSQL the client-credentials insert runs as a libpq prepared statement on an autocommit
connection of its own; everywhere else it goes through the Session. The same values stored both
ways must read back the same through the ORM; a statement dropped on the server is prepared
again; a constraint violation is SQLAlchemy's IntegrityError and leaves the connection usable.
"""

from __future__ import annotations

import base64
from datetime import timedelta, timezone

import pytest
from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from platform_api.db import new_id, utcnow
from platform_api.oauth import fastpath
from platform_api.oauth.models import Token
from platform_api.security import new_secret, secret_hash
from tests.browser.live import add_client, add_member, committed_database, session_on


def _values(client, **changes) -> dict:
    now = utcnow()
    values = {
        "id": new_id(), "access_token_hash": secret_hash(new_secret()), "refresh_token_hash": None,
        "client_pk": client.id, "member_id": client.member_id, "user_id": None, "grant_type": "client_credentials",
        "scope": "members:read technologies:read", "family_id": new_id(), "issued_at": now, "expires_in": 3600,
        "access_expires_at": now + timedelta(seconds=3600), "refresh_expires_at": None,
        "dpop_jkt": None, "refresh_dpop_jkt": None,
    }
    values.update(changes)
    return values


def _stored(s: Session, token_id: str) -> dict:
    token = s.get(Token, token_id)
    return {attr.key: getattr(token, attr.key) for attr in Token.__mapper__.column_attrs}


@pytest.fixture
def committed(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: elsewhere the token goes through the Session")
    with committed_database(database_url, "fastpath") as url:
        yield url


def test_both_ways_store_the_same_row(committed):
    engine = create_engine(committed, isolation_level="AUTOCOMMIT", pool_size=1, max_overflow=0)
    try:
        with session_on(committed) as s:
            client, _ = add_client(s, add_member(s))
        # A refresh token and a user-less row, offsets other than UTC, every column set.
        at = utcnow().astimezone(timezone(timedelta(hours=8)))
        fast = _values(client, refresh_token_hash=secret_hash(new_secret()), issued_at=at,
                       refresh_expires_at=at + timedelta(days=30), dpop_jkt="j" * 43, refresh_dpop_jkt="r" * 43)
        plain = {**fast, "id": new_id(), "access_token_hash": secret_hash(new_secret()),
                 "refresh_token_hash": secret_hash(new_secret())}
        connection = fastpath._Connection(engine)
        try:
            connection.insert(fast)
        finally:
            connection.close()
        with session_on(committed) as s:
            s.execute(insert(Token.__table__), plain)
        with session_on(committed) as s:
            a, b = _stored(s, fast["id"]), _stored(s, plain["id"])
        for key in ("id", "access_token_hash", "refresh_token_hash"):  # the values made to differ
            assert (a.pop(key), b.pop(key)) == (fast[key], plain[key])
        assert a == b
        assert a["issued_at"] == at and a["issued_at"].utcoffset() == timedelta(0)
    finally:
        engine.dispose()


def test_a_dropped_statement_is_prepared_again_and_errors_are_sqlalchemys(committed):
    engine = create_engine(committed, isolation_level="AUTOCOMMIT", pool_size=1, max_overflow=0)
    try:
        with session_on(committed) as s:
            client, _ = add_client(s, add_member(s))
        connection = fastpath._Connection(engine)
        try:
            first = _values(client)
            connection.insert(first)
            connection._checkout().driver_connection.execute("DEALLOCATE ALL")  # the server forgot it
            connection.insert(_values(client))
            with pytest.raises(IntegrityError):
                connection.insert(first)  # the same primary key again
            connection.insert(_values(client))  # still usable afterwards
        finally:
            connection.close()
        with session_on(committed) as s:
            assert s.execute(text("SELECT count(*) FROM oauth_tokens")).scalar() == 3
    finally:
        engine.dispose()


@pytest.mark.parametrize("fast", [True, False], ids=["fast path on", "PLATFORM_TOKEN_FAST_PATH=off"])
def test_client_credentials_requests_store_through_the_fast_path(committed, settings_overrides, monkeypatch, fast):
    """A live app (not the rolled-back harness) on PostgreSQL: the token endpoint uses the fast
    path's connection for client credentials (unless switched off), and the token authenticates."""
    from platform_api import create_app
    from platform_api.db import get_db

    with session_on(committed) as s:
        client, secret = add_client(s, add_member(s))
        client_id = client.client_id
    app = create_app({**settings_overrides, "database_url": committed, "token_fast_path": fast})
    inserts = []
    original = fastpath._Connection.insert
    monkeypatch.setattr(fastpath._Connection, "insert", lambda self, values: (inserts.append(values["id"]),
                                                                              original(self, values)))
    try:
        basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        resp = app.test_client().post("/oauth/token", data={"grant_type": "client_credentials"},
                                      headers={"Authorization": f"Basic {basic}"})
        assert resp.status_code == 200 and len(inserts) == (1 if fast else 0)
        me = app.test_client().get("/v1/me", headers={"Authorization": f"Bearer {resp.json['access_token']}"})
        assert me.status_code == 200
        with session_on(committed) as s:
            stored = s.scalars(select(Token.id)).all()
        assert len(stored) == 1 and (stored == inserts or not fast)
    finally:
        get_db(app).dispose()
