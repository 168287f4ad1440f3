"""Declarative base, engine, and the one session (one transaction) per request."""

from __future__ import annotations

import functools
import hashlib
import re
import uuid
from contextvars import ContextVar
from datetime import date, datetime, timezone
from decimal import Decimal

from collections.abc import Sequence

from flask import current_app, g, request
from sqlalchemy import JSON, DateTime, MetaData, String, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import DeclarativeBase, Session, make_transient_to_detached, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key
from sqlalchemy.types import TypeDecorator, TypeEngine

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_id() -> str:
    return str(uuid.uuid4())


_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def is_id(value) -> bool:
    """Whether `value` has the shape of our IDs; anything else cannot name a row.

    Checked before any lookup, so that hostile path segments (NUL bytes, which PostgreSQL
    refuses outright, or megabytes of text) end as a plain 404 without reaching the database.
    """
    return isinstance(value, str) and _ID.match(value) is not None


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in and out, stored the same way on SQLite and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def IdColumn():  # noqa: N802 - reads like a type in model declarations
    return String(36)


JSONType = JSON().with_variant(JSONB(), "postgresql")

# Whether the current unit of work may write. On SQLite a writing transaction starts with
# BEGIN IMMEDIATE (deferred transactions fail under concurrent writers with "database is
# locked"); reads keep a plain BEGIN so they do not queue behind writers.
_write_intent: ContextVar[bool] = ContextVar("write_intent", default=True)


def set_write_intent(value: bool) -> None:
    _write_intent.set(value)


def make_engine(url: str, *, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30})
        _configure_sqlite(engine)
        return engine
    # No pool_pre_ping: it costs a round trip on every request. A connection that died with
    # the database fails its request with 503, and SQLAlchemy then invalidates the whole pool,
    # so the next request reconnects: the service recovers without a restart.
    return create_engine(url, echo=echo, pool_size=5, max_overflow=5, pool_recycle=1800)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Take over transaction control from pysqlite so that BEGIN (and savepoints in
        # tests) behave as SQLAlchemy expects.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")


class Database:
    """Holds the engines and session factory of one app.

    On PostgreSQL two more pools serve requests that need no transaction: `autocommit` for reads
    (see session()), and `autocommit_lazy` for client-credentials token issue (see direct()),
    whose connections also skip waiting for the WAL flush at commit (synchronous_commit off: a
    token lost in a crash costs its client one more token request; measured under load here,
    waiting for the flush cut client-credentials issue from 29% to 20% of the bare endpoint).
    Neither pool resets connections when they come back: in autocommit mode there is no
    transaction to roll back.
    """

    def __init__(self, url: str, *, echo: bool = False):
        self.url = url
        self.echo = echo
        self.engine = make_engine(url, echo=echo)
        self.sessionmaker = sessionmaker(bind=self.engine, expire_on_commit=False)
        self._extra: dict[str, Engine] = {}

    def extra_engine(self, kind: str) -> Engine:
        """The `autocommit` or `autocommit_lazy` engine (PostgreSQL), made on first use."""
        engine = self._extra.get(kind)
        if engine is None:
            connect_args = {"options": "-c synchronous_commit=off"} if kind == "autocommit_lazy" else {}
            engine = self._extra[kind] = create_engine(
                self.url, echo=self.echo, isolation_level="AUTOCOMMIT", connect_args=connect_args,
                pool_size=2, max_overflow=5, pool_recycle=1800, pool_reset_on_return=None,
            )
        return engine

    def dispose(self) -> None:
        self.engine.dispose()
        for engine in self._extra.values():
            engine.dispose()


def get_db(app=None) -> Database:
    return (app or current_app).extensions["platform_db"]


def session() -> Session:
    """The request's session, created on first use and closed at teardown.

    On PostgreSQL a request that only reads (GET, HEAD) runs without an explicit transaction:
    BEGIN and COMMIT would be two of its three round trips to the database (/v1/me: one
    lookup), and measured here they cost more than the lookup. Each statement then sees the
    latest committed data, so code that reads twice must not assume one snapshot (list views
    re-check visibility when they load the rows of a page). The test harness binds sessions to
    one connection inside a transaction it rolls back; there every request keeps that transaction.
    """
    if "db_session" not in g:
        db = get_db()
        s = db.sessionmaker()
        if not _write_intent.get():
            bind = s.get_bind()
            if isinstance(bind, Engine) and bind.dialect.name == "postgresql":
                s.bind = db.extra_engine("autocommit")
        g.db_session = s
    return g.db_session


class DirectConnection:
    """A pooled DB-API connection in autocommit mode, for DriverQuery statements that each stand alone.

    Client-credentials token issue is one lookup (often served by the credential cache) and one
    insert. Through a Session each costs its unit-of-work bookkeeping, a transaction object and a
    commit (measured: 160-190 us of CPU per insert, against 60 us straight on the pooled
    connection). Errors are what SQLAlchemy would raise (DBAPIError subclasses, with
    connection_invalidated set for a lost connection), so the error handlers answer as for any
    other query; a lost connection also replaces the pool, whose other connections are gone too.
    """

    def __init__(self, engine: Engine):
        self.engine = engine
        self.dialect = engine.dialect
        self._fairy = None

    def pooled(self):
        """The pool's connection (SQLAlchemy's proxy), checked out on first use."""
        if self._fairy is None:
            try:
                self._fairy = self.engine.raw_connection()
            except self.dialect.loaded_dbapi.Error as exc:
                raise DBAPIError.instance(None, None, exc, self.dialect.loaded_dbapi.Error, dialect=self.dialect) from exc
        return self._fairy

    def handle_error(self, exc: Exception, sql: str, params, cursor) -> None:
        """Raise `exc` as SQLAlchemy would; invalidate on a lost connection."""
        fairy = self._fairy
        lost = fairy is not None and self.dialect.is_disconnect(exc, fairy.dbapi_connection, cursor)
        if lost:
            self._fairy = None
            fairy.invalidate(exc)
            self.engine.dispose(close=False)
        raise DBAPIError.instance(sql, params, exc, self.dialect.loaded_dbapi.Error,
                                  connection_invalidated=lost, dialect=self.dialect) from exc

    def close(self) -> None:
        fairy, self._fairy = self._fairy, None
        if fairy is not None:
            fairy.close()


def _pq_values(values: list) -> list[bytes | None] | None:
    """Parameters in PostgreSQL's text form, or None if one is of a type not handled here.
    Types are left for the server to infer from the statement, as for a literal."""
    out: list[bytes | None] = []
    for v in values:
        if v is None:
            out.append(None)
        elif isinstance(v, str):
            if "\x00" in v:
                return None  # the cursor path refuses it with psycopg's own error
            out.append(v.encode("utf-8"))
        elif isinstance(v, bool):
            out.append(b"t" if v else b"f")
        elif isinstance(v, (int, Decimal)):
            out.append(str(v).encode())
        elif isinstance(v, (datetime, date)):  # ISO 8601, with its offset when it has one
            out.append(v.isoformat().encode())
        else:
            return None
    return out


def _sqlstate(result) -> str | None:
    from psycopg import pq

    if result.status in (pq.ExecStatus.COMMAND_OK, pq.ExecStatus.TUPLES_OK):
        return None
    state = result.error_field(pq.DiagnosticField.SQLSTATE)
    return state.decode() if state else ""


def _loaded_rows(pq_state: dict, conn, result) -> list[tuple]:
    """The result's rows as psycopg's cursors load them: by a transformer of the connection."""
    if not result.ntuples or not result.nfields:
        return []
    transformer = pq_state.get("transformer")
    if transformer is None:
        from psycopg.adapt import Transformer

        transformer = pq_state["transformer"] = Transformer(conn)
    transformer.set_pgresult(result)
    try:
        return transformer.load_rows(0, result.ntuples, tuple)
    finally:
        transformer.set_pgresult(None)


def _raise_for(result) -> None:
    if _sqlstate(result) is not None:
        from psycopg import errors

        raise errors.error_from_result(result, encoding="utf-8")


def direct() -> None:
    """Run this request's DriverQuery statements each on its own, without a transaction.

    For a request whose only writes are single statements (client-credentials token issue: one
    lookup, one insert). Must be called before anything else uses the database. On SQLite (one
    writer, no autocommit pool) the request keeps its transaction.
    """
    if "db_direct" in g or "db_session" in g:
        raise RuntimeError("direct() must come before the request's first query")
    db = get_db()
    if db.engine.dialect.name == "postgresql" and not _harness_bound(db):
        g.db_direct = DirectConnection(db.extra_engine("autocommit_lazy"))


def _harness_bound(db: Database) -> bool:
    # The test harness binds sessions to one connection inside a transaction it rolls back:
    # statements must go there, not to a pool of their own.
    return not isinstance(db.sessionmaker.kw.get("bind"), Engine)


def statements():
    """Where this request's DriverQuery statements run: its direct connection, or its session."""
    return g.get("db_direct") or session()


_NAMED_PARAM = re.compile(r"(?<![:\w]):(\w+)")


class DriverQuery:
    """A query on a hot path, run straight on the DB-API connection of the request's session.

    For a one-row lookup SQLAlchemy's statement and result layers cost several times the query
    itself (PERFORMANCE.md; measured again for the bearer lookup: 0.41 ms through the ORM, 0.24 ms
    through the driver, on the same connection). This skips both and keeps what matters from
    them: the session's connection and transaction, each column type's conversion of results
    for the dialect in use, and SQLAlchemy's handling of driver errors (wrapped, and a lost
    connection invalidates the pool, so the error handlers answer 503 as for any other query).

    The SQL is written once, portable to SQLite and PostgreSQL, with :name parameters and no casts,
    and returns rows (a SELECT, or a write with RETURNING).
    """

    def __init__(self, sql: str, columns: Sequence[TypeEngine | None] = (), params: dict[str, TypeEngine] | None = None):
        self.sql = sql
        self.columns = list(columns)
        self.params = dict(params or {})
        self._by_dialect: dict[str, tuple] = {}
        self._pq: tuple | None = None
        self._pq_refused = False

    def _for(self, dialect: Dialect) -> tuple:
        compiled = self._by_dialect.get(dialect.name)
        if compiled is None:
            sql = self.sql if dialect.name == "sqlite" else _NAMED_PARAM.sub(r"%(\1)s", self.sql)
            results = []
            for i, col_type in enumerate(self.columns):
                if col_type is not None:
                    proc = col_type.dialect_impl(dialect).result_processor(dialect, None)
                    if proc is not None:
                        results.append((i, proc))
            binds = []
            for name, param_type in self.params.items():
                proc = param_type.dialect_impl(dialect).bind_processor(dialect)
                if proc is not None:
                    binds.append((name, proc))
            compiled = self._by_dialect[dialect.name] = (sql, tuple(results), tuple(binds))
        return compiled

    def _run(self, s: Session | DirectConnection, params: dict | None, fetch: bool) -> tuple[list, tuple]:
        direct_connection = s if isinstance(s, DirectConnection) else None
        conn = None if direct_connection else s.connection()
        dialect = direct_connection.dialect if direct_connection else conn.dialect
        sql, results, binds = self._for(dialect)
        params = dict(params or {})
        for name, proc in binds:
            params[name] = proc(params[name])
        cursor = None
        try:
            pooled = direct_connection.pooled() if direct_connection else conn.connection
            rows = self._run_prepared(pooled, params) if dialect.name == "postgresql" else None
            if rows is None:
                cursor = pooled.driver_connection.cursor()
                cursor.execute(sql, params)
                rows = cursor.fetchall() if fetch else []
                cursor.close()
        except dialect.loaded_dbapi.Error as exc:
            # Wrapped as SQLAlchemy does, the connection (and its pool) invalidated on a disconnect.
            if direct_connection:
                direct_connection.handle_error(exc, sql, params, cursor)
            conn._handle_dbapi_exception(exc, sql, params, cursor, None)
        return rows, results

    def _run_prepared(self, pooled, params: dict) -> list[tuple] | None:
        """Run as a server-side prepared statement straight through libpq, on a psycopg
        connection in autocommit mode; None when not (the cursor path runs it instead).

        For a one-row statement psycopg's cursor layer (query conversion, dumpers, its wait loop,
        the result's transformer) measured as much CPU as libpq's round trip itself: a third of
        client-credentials token issue's insert, a fifth of a warm search. Results are loaded
        by the connection's own loaders, the ones its cursors use, so rows are the same; values
        go in text form, typed by the server as literals are. Inside a transaction (the
        connection does its own BEGIN) and for values not sent this way, the cursor path runs.
        """
        conn = pooled.driver_connection
        pgconn = getattr(conn, "pgconn", None)
        if pgconn is None or self._pq_refused or not conn.autocommit or conn.info.encoding != "utf-8":
            return None
        name, sql, order = self._positional()
        values = _pq_values([params[key] for key in order])
        if values is None:
            return None
        # Kept with the pool's record of this connection: SQLAlchemy empties it for a new one.
        pq_state = pooled.info.setdefault("platform_pq", {"prepared": set()})
        prepared = pq_state["prepared"]
        if name not in prepared:
            result = pgconn.prepare(name, sql.encode())
            state = _sqlstate(result)
            if state is not None and state != "42P05":  # 42P05: already there (the name is the text's hash)
                if conn.broken or conn.closed:
                    _raise_for(result)
                self._pq_refused = True  # e.g. a parameter the server cannot type: the cursor path types it
                return None
            prepared.add(name)
        result = pgconn.exec_prepared(name, values)
        if _sqlstate(result) == "26000":  # dropped since (DEALLOCATE, DISCARD ALL): prepare it again
            _raise_for(pgconn.prepare(name, sql.encode()))
            result = pgconn.exec_prepared(name, values)
        _raise_for(result)
        return _loaded_rows(pq_state, conn, result)

    def execute(self, s: Session | DirectConnection, params: dict | None = None) -> None:
        """Run a statement that returns no rows (an INSERT)."""
        self._run(s, params, fetch=False)

    def _positional(self) -> tuple[bytes, str, list[str]]:
        """The statement with $1, $2... for PostgreSQL's own prepared statements, its name (from
        its text, so the same on every connection and in every process), and the parameter for
        each position."""
        if self._pq is None:
            order: list[str] = []

            def number(match: re.Match) -> str:
                if match.group(1) not in order:
                    order.append(match.group(1))
                return f"${order.index(match.group(1)) + 1}"

            sql = _NAMED_PARAM.sub(number, self.sql)
            name = f"platform_{hashlib.sha256(sql.encode()).hexdigest()[:24]}".encode()
            self._pq = (name, sql, order)
        return self._pq

    def rows(self, s: Session | DirectConnection, params: dict | None = None) -> list[tuple]:
        rows, processors = self._run(s, params, fetch=True)
        if not processors:
            return rows
        out = []
        for row in rows:
            row = list(row)
            for i, proc in processors:
                row[i] = proc(row[i])
            out.append(tuple(row))
        return out

    def first(self, s: Session | DirectConnection, params: dict | None = None) -> tuple | None:
        rows = self.rows(s, params)
        return rows[0] if rows else None


def adopt(s: Session, model, values: dict, related: dict | None = None):
    """An ORM object for a row already read (by a DriverQuery), put in the session without a query.

    `values` must hold every column of the model, as stored; `related` gives many-to-one
    relationships already at hand, set as loaded. The session holds clean objects only weakly:
    the caller keeps a reference for as long as it needs the object.
    """
    existing = s.identity_map.get(identity_key(model, values[_primary_key(model)]))
    if existing is not None:  # the session's own copy, with whatever it changed, wins
        return existing
    obj = model(**values)
    make_transient_to_detached(obj)
    for name, value in (related or {}).items():
        set_committed_value(obj, name, value)
    s.add(obj)
    return obj


def _primary_key(model) -> str:
    (pk,) = sa_inspect(model).primary_key
    return sa_inspect(model).get_property_by_column(pk).key


def column_attrs(model) -> list[tuple[str, object]]:
    """(attribute name, column) of every column a model maps, in table order: what adopt() needs."""
    return [(attr.key, attr.columns[0]) for attr in sa_inspect(model).column_attrs]


def init_app(app, settings) -> None:
    db = Database(settings.database_url, echo=settings.sql_echo)
    app.extensions["platform_db"] = db

    @app.before_request
    def _intent():
        set_write_intent(request.method not in ("GET", "HEAD", "OPTIONS"))

    @app.teardown_appcontext
    def _close(_exc):
        direct_connection = g.pop("db_direct", None)
        if direct_connection is not None:
            direct_connection.close()
        s = g.pop("db_session", None)
        if s is not None:
            # Anything not committed by a successful view is discarded here.
            s.rollback()
            s.close()


def transactional(view):
    """Run a view in one transaction: commit if it returns, roll back if it raises.

    Commit happens inside the view call so that a failing commit (a lost race on a unique
    key, the database going away) reaches the error handlers like any other error. A view that
    never used the session (its answer came from a cache) costs no session at all.
    """

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            rv = view(*args, **kwargs)
            if (s := g.get("db_session")) is not None:
                s.commit()
            return rv
        except BaseException:
            if (s := g.get("db_session")) is not None:
                s.rollback()
            raise

    return wrapper
