"""The database, and the one way a request reaches it.

Every statement a request runs goes through the request's SQLAlchemy Session, `session()`: ORM
queries, or Core statements (`select`, `insert`, `text`) with `session().execute(...)`, whose
compiled forms SQLAlchemy caches. There is one transaction per request: `transactional`
(applied by `@endpoint` to every /v1 view) commits when the view returns and rolls back when it
raises; services only flush. On PostgreSQL a request that only reads (GET, HEAD) runs its
statements without BEGIN/COMMIT, on a pool of autocommit connections (see `session()`); psycopg
prepares a statement on the server once a connection has run it a few times.

The one exception is isolated in `platform_api/oauth/fastpath.py`: a plain client-credentials
token request stores its token with one statement on a connection of its own, outside any
Session, because the benchmark shows it is worth it (that module says how much, and
tests/oauth/test_token_fast_path.py holds it to the plain path's answers and rows).

The admin command line opens its own Session per command (`cli.AdminContext.transaction`).
"""

from .engine import (
    Database,
    adopt,
    column_attrs,
    get_db,
    init_app,
    make_engine,
    session,
    set_write_intent,
    transactional,
    use_pool,
)
from .types import NAMING, Base, IdColumn, JSONType, NullableJSON, UTCDateTime, is_id, new_id, utcnow

__all__ = [
    "NAMING", "Base", "Database", "IdColumn", "JSONType", "UTCDateTime", "adopt", "column_attrs", "get_db",
    "init_app", "is_id", "make_engine", "new_id", "NullableJSON", "session", "set_write_intent", "transactional", "use_pool", "utcnow",
]
