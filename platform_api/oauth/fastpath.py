"""The one fast path: a plain client-credentials token request, served and stored directly.

Everything else in the service reaches the database through the request's Session
(platform_api/db/__init__.py) and issues tokens through Authlib. This module is the exception,
for the endpoint that member servers call most and that the benchmark measures against the bare
endpoint (README, Benchmarks; docs/architecture.md, "The fast path"). It has two parts, and each
applies only where it is sure to give the plain path's answer:

1. `issue_client_credentials` answers a request that Authlib would grant as it stands: Basic
   credentials, `grant_type=client_credentials`, at most one `scope`, no other parameter, no
   query string, no DPoP header, a client not registered for DPoP, secure transport. It takes the same steps as Authlib's ClientCredentialsGrant
   with client_secret_basic (transport, Basic credentials with Authlib's own parser, client
   lookup, secret, auth method, grant type, our scope rule, Authlib's token generator, storage,
   response), without Authlib's request objects, client-authentication loop and hooks. Anything
   else, every refusal included, returns None and goes to Authlib.
2. `insert_token` stores a token row. During a client-credentials request on PostgreSQL (`begin`
   was called) the insert runs alone on a pooled autocommit connection of its own with
   `synchronous_commit` off (a token lost in a crash costs its client one more token request),
   as a libpq prepared statement (psycopg's `pgconn`, values in text form: psycopg's cursor layer
   costs as much CPU as the round trip for one row). The request's one read (the client, when
   the credential cache misses) runs as a Core statement on the same connection, without a
   Session (`reads`): a Session's lifecycle cost a quarter of the endpoint's throughput there. Everywhere else (other
   grants, SQLite, the test harness) the same row goes through the Session.

Only public APIs: SQLAlchemy's `Engine.raw_connection`, the pooled connection's `invalidate`,
`Dialect.is_disconnect` and `DBAPIError.instance` (so a lost connection is a 503 and replaces the
pool, as anywhere else), psycopg's `pq` layer. tests/oauth/test_token_fast_path.py sends 24 kinds
of request with and without the fast path and requires the same status, headers, body and stored
row; tests/oauth/test_fastpath_storage.py does the same for the two ways of storing.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from decimal import Decimal

from authlib.common.security import is_secure_transport
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.util import extract_basic_authorization
from flask import Response, g
from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from ..db import get_db, session, use_pool
from .models import Token

GRANT = grants.ClientCredentialsGrant.GRANT_TYPE


# --- 1. the request --------------------------------------------------------------------------


def issue_client_credentials(server, request, *, query_client, scope_refusal, store_token) -> Response | None:
    """The response to a client-credentials request that Authlib would grant as it stands, or None
    for anything else (the caller hands it to Authlib's create_token_response). The three hooks
    are the ones the server gives Authlib (oauth/server.py), so both paths share every rule."""
    form = request.form
    if request.args or "DPoP" in request.headers or not is_secure_transport(f"{request.scheme}://{request.host}/"):
        return None  # DPoP proofs and their key binding are Authlib's path (oauth/dpop.py)
    for key, values in form.lists():  # grant_type and scope, each at most once
        if key not in ("grant_type", "scope") or len(values) != 1:
            return None
    if form.get("grant_type") != GRANT:
        return None
    client_id, client_secret = extract_basic_authorization(request.headers)
    if not client_id or not client_secret:
        return None
    client = query_client(client_id)
    if (
        client is None
        or not client.check_client_secret(client_secret)
        or not client.check_endpoint_auth_method("client_secret_basic", "token")
        or not client.check_grant_type(GRANT)
        or client.dpop_bound_access_tokens  # refused without a proof, on Authlib's path
    ):
        return None
    scope = form.get("scope")
    if scope_refusal(scope, client) is not None:
        return None
    token = server.generate_token(grant_type=GRANT, client=client, scope=scope, include_refresh_token=False)
    store_token(token, client, GRANT, None, None)
    # What Authlib's handle_response makes, without the app's JSON provider lookup (same settings).
    body = json.dumps(token, sort_keys=False, ensure_ascii=False)
    return Response(body, 200, grants.ClientCredentialsGrant.TOKEN_RESPONSE_HEADER)


# --- 2. storage ------------------------------------------------------------------------------


def begin() -> None:
    """Store this request's token on a connection of its own (PostgreSQL, outside the test harness).

    Called by the token endpoint for a client-credentials request, before anything else uses the
    database. The request then needs no transaction: its read and its insert share one
    connection of the autocommit pool (and a Session, should anything use one, that pool).
    """
    db = get_db()
    if db.engine.dialect.name == "postgresql" and not db.harness_bound():
        # One pool for everything the request does: a cut connection costs one request.
        use_pool("autocommit_lazy")
        g.token_connection = _Connection(db.extra_engine("autocommit_lazy"))


def insert_token(values: dict) -> None:
    """Insert one oauth_tokens row (`values`: a value for every column of _COLUMNS)."""
    connection = g.get("token_connection")
    if connection is None:
        session().execute(insert(Token.__table__), values)
    else:
        connection.insert(values)


def init_app(app) -> None:
    @app.teardown_appcontext
    def _close(_exc):
        connection = g.pop("token_connection", None)
        if connection is not None:
            connection.close()


_COLUMNS = [col for col in Token.__table__.columns if col.name not in ("refresh_used_at", "revoked_at")]
_SQL = (f"INSERT INTO oauth_tokens ({', '.join(c.name for c in _COLUMNS)}) "
        f"VALUES ({', '.join(f'${i}' for i in range(1, len(_COLUMNS) + 1))})")
_NAME = f"platform_{hashlib.sha256(_SQL.encode()).hexdigest()[:24]}".encode()


def _text_value(value) -> bytes | None:
    """A value in PostgreSQL's text form (typed by the server from the statement, as a literal is)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return b"t" if value else b"f"
    if isinstance(value, (int, Decimal)):
        return str(value).encode()
    if isinstance(value, (datetime, date)):  # ISO 8601 with its offset: every value here is aware UTC
        return value.isoformat().encode()
    if isinstance(value, str) and "\x00" not in value:
        return value.encode("utf-8")
    raise TypeError(f"no text form for {type(value).__name__} here")


class _Connection:
    """One pooled connection of the autocommit pool for the whole request, checked out on first
    use: the client lookup (a Core statement, when the credential cache misses) and the insert."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.dialect = engine.dialect
        self._conn = None

    def connection(self):
        """The SQLAlchemy Connection, for the request's reads."""
        if self._conn is None:
            self._conn = self.engine.connect()
        return self._conn

    def insert(self, values: dict) -> None:
        try:
            self._run(self._checkout(), [_text_value(values[c.name]) for c in _COLUMNS])
        except self.dialect.loaded_dbapi.Error as exc:
            self._raise(exc, values)

    def _checkout(self):
        return self.connection().connection  # the pool's connection under it (public API)

    def _run(self, pooled, params: list[bytes | None]) -> None:
        from psycopg import errors, pq  # here: an app on SQLite never loads psycopg

        pgconn = pooled.driver_connection.pgconn
        for _attempt in range(2):
            # Prepared once per connection; the pool's record of the connection remembers it (and
            # is emptied when the pool replaces the connection).
            if not pooled.info.get("platform_token_insert"):
                result = pgconn.prepare(_NAME, _SQL.encode())
                state = result.error_field(pq.DiagnosticField.SQLSTATE)
                if result.status != pq.ExecStatus.COMMAND_OK and state != b"42P05":  # 42P05: there already
                    raise errors.error_from_result(result, encoding="utf-8")
                pooled.info["platform_token_insert"] = True
            result = pgconn.exec_prepared(_NAME, params)
            if result.status == pq.ExecStatus.COMMAND_OK:
                return
            if result.error_field(pq.DiagnosticField.SQLSTATE) != b"26000":  # 26000: dropped (DISCARD ALL)
                break
            pooled.info.pop("platform_token_insert", None)
        raise errors.error_from_result(result, encoding="utf-8")

    def _raise(self, exc: Exception, values: dict) -> None:
        """Raise `exc` as SQLAlchemy would for any statement; a lost connection replaces the pool."""
        conn = self._conn
        lost = conn is not None and self.dialect.is_disconnect(exc, conn.connection.dbapi_connection, None)
        if lost:
            conn.invalidate(exc)
            self.engine.dispose(close=False)
        raise DBAPIError.instance(_SQL, values, exc, self.dialect.loaded_dbapi.Error,
                                  connection_invalidated=lost, dialect=self.dialect) from exc

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()


def reads():
    """Where this request's reads of the OAuth tables run: the fast path's connection during a
    client-credentials request (see begin), else the request's Session's connection."""
    connection = g.get("token_connection")
    return connection.connection() if connection is not None else session().connection()
