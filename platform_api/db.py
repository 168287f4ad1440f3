"""Declarative base, engine, and the one session (one transaction) per request."""

from __future__ import annotations

import functools
import re
import uuid
from contextvars import ContextVar
from datetime import datetime, timezone

from flask import current_app, g, request
from sqlalchemy import JSON, DateTime, MetaData, String, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

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
    """Holds the engine and session factory of one app."""

    def __init__(self, url: str, *, echo: bool = False):
        self.url = url
        self.engine = make_engine(url, echo=echo)
        self.sessionmaker = sessionmaker(bind=self.engine, expire_on_commit=False)

    def dispose(self) -> None:
        self.engine.dispose()


def get_db(app=None) -> Database:
    return (app or current_app).extensions["platform_db"]


def session() -> Session:
    """The request's session, created on first use and closed at teardown."""
    if "db_session" not in g:
        g.db_session = get_db().sessionmaker()
    return g.db_session


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
    key, the database going away) reaches the error handlers like any other error.
    """

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        s = session()
        try:
            rv = view(*args, **kwargs)
            s.commit()
            return rv
        except BaseException:
            s.rollback()
            raise

    return wrapper
