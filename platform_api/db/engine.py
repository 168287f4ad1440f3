"""Engines, and the one way a request reaches the database: its Session (one transaction).

See db/__init__.py for the rules; this module holds the machinery.
"""

from __future__ import annotations

import functools
from contextvars import ContextVar

from flask import current_app, g, request
from sqlalchemy import create_engine, event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, make_transient_to_detached, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

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
    (see session()), and `autocommit_lazy` for the token fast path (oauth/fastpath.py),
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

    def harness_bound(self) -> bool:
        """Whether sessions are bound to one connection (the test harness's rolled-back transaction)
        rather than to the engine: then every statement must go there, not to a pool of its own."""
        return not isinstance(self.sessionmaker.kw.get("bind"), Engine)

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
        pool = g.get("db_pool") or (None if _write_intent.get() else "autocommit")
        if pool is not None:
            bind = s.get_bind()
            if isinstance(bind, Engine) and bind.dialect.name == "postgresql":
                s.bind = db.extra_engine(pool)
        g.db_session = s
    return g.db_session


def use_pool(kind: str) -> None:
    """Run this request's Session on the `autocommit` or `autocommit_lazy` pool (PostgreSQL; a
    no-op elsewhere and under the test harness). Must come before the request's first query."""
    if "db_session" in g:
        raise RuntimeError("use_pool() must come before the request's first query")
    g.db_pool = kind


def adopt(s: Session, model, values: dict, related: dict | None = None):
    """An ORM object for a row already read (a Core select's columns), put in the session without a query.

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
