import logging

import pytest
from sqlalchemy import text

from tests.factories.oauth import make_client


def test_sqlite_has_foreign_keys_and_wal(connection, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite only")
    assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_foreign_keys_are_enforced(db_session):
    from sqlalchemy.exc import IntegrityError

    from platform_api.accounts.models import User

    db_session.add(User(member_id="00000000-0000-4000-8000-000000000000", email="ghost@x.example", password_hash="x"))
    with pytest.raises(IntegrityError):
        db_session.flush()
    db_session.rollback()


def _unreachable_app(settings_overrides):
    from platform_api import create_app

    return create_app({**settings_overrides, "database_url": "postgresql+psycopg://postgres@127.0.0.1:1/none"})


def test_readyz_is_503_when_the_database_is_down(settings_overrides):
    c = _unreachable_app(settings_overrides).test_client()
    assert c.get("/healthz").status_code == 200
    resp = c.get("/readyz")
    assert resp.status_code == 503
    assert resp.mimetype == "application/problem+json"


def test_api_is_503_problem_not_500_when_the_database_is_down(settings_overrides):
    c = _unreachable_app(settings_overrides).test_client()
    resp = c.get("/v1/me", headers={"Authorization": "Bearer whatever"})
    assert resp.status_code == 503
    assert resp.headers["Retry-After"]
    body = resp.get_data(as_text=True)
    assert "psycopg" not in body and "127.0.0.1:1" not in body
    token = c.post("/oauth/token", data={"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"})
    assert token.status_code == 503


def test_no_token_or_secret_reaches_the_logs(client, caplog):
    import base64

    caplog.set_level(logging.DEBUG)
    oc, secret = make_client()
    basic = base64.b64encode(f"{oc.client_id}:{secret}".encode()).decode()
    access = client.post("/oauth/token", data={"grant_type": "client_credentials"}, headers={"Authorization": f"Basic {basic}"}).json["access_token"]
    client.get("/v1/me", headers={"Authorization": f"Bearer {access}"})
    client.get("/v1/me", headers={"Authorization": "Bearer not-a-real-token"})
    text_of_logs = "\n".join(r.getMessage() + " " + str(r.__dict__) for r in caplog.records)
    assert caplog.records, "expected request logs"
    for needle in (secret, access, basic, "not-a-real-token"):
        assert needle not in text_of_logs, needle[:6]


def test_sign_in_page_shows_html_when_the_database_is_down(settings_overrides):
    c = _unreachable_app(settings_overrides).test_client()
    resp = c.get("/oauth/authorize?response_type=code&client_id=x")
    assert resp.status_code == 503
    assert resp.mimetype == "text/html"
    assert "unavailable" in resp.get_data(as_text=True)


def test_driver_queries_convert_results_as_the_orm_would(db_session):
    from datetime import timezone

    from platform_api.db import DriverQuery, adopt, column_attrs
    from platform_api.members.models import Member
    from tests.factories.members import MemberFactory

    member = MemberFactory(description={"en": "Lab", "zh": "实验室"})
    db_session.flush()
    attrs = column_attrs(Member)
    query = DriverQuery(
        "SELECT " + ", ".join(col.name for _, col in attrs) + " FROM members WHERE id = :id", [col.type for _, col in attrs]
    )
    row = query.first(db_session, {"id": member.id})
    values = {key: row[i] for i, (key, _) in enumerate(attrs)}
    assert values["description"] == {"en": "Lab", "zh": "实验室"}  # JSON decoded on both databases
    assert values["created_at"] == member.created_at and values["created_at"].tzinfo == timezone.utc
    assert query.first(db_session, {"id": "00000000-0000-4000-8000-000000000000"}) is None
    # adopting a row already in the session returns the session's own object, changes and all
    member.name = "Changed, not yet flushed"
    assert adopt(db_session, Member, values) is member


def test_driver_query_errors_are_sqlalchemy_errors(app, database_url):
    from sqlalchemy.exc import DBAPIError

    from platform_api.db import DriverQuery, get_db

    s = get_db(app).sessionmaker()
    try:
        with pytest.raises(DBAPIError):
            DriverQuery("SELECT nothing FROM no_such_table WHERE id = :id").rows(s, {"id": 1})
    finally:
        s.rollback()
        s.close()


def test_token_issue_without_a_transaction_fails_cleanly_when_its_connection_is_cut(database_url, settings_overrides):
    """Client-credentials issue runs its statements straight on a pooled connection (db.direct):
    a cut connection is a 503 problem, nothing is half-written, and the next request reconnects."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite keeps the request's transaction")
    import base64

    from platform_api import create_app
    from platform_api.db import get_db
    from tests.browser.live import add_client, add_member, committed_database, session_on

    with committed_database(database_url, "direct") as url:
        with session_on(url) as s:
            client, secret = add_client(s, add_member(s))
            client_id = client.client_id
        app = create_app({**settings_overrides, "database_url": url})  # its own engine: real commits
        basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()

        def issue():
            return app.test_client().post("/oauth/token", data={"grant_type": "client_credentials"},
                                          headers={"Authorization": f"Basic {basic}"})

        try:
            assert issue().status_code == 200
            with session_on(url) as s:
                s.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                               "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
            cut = issue()
            assert cut.status_code == 503 and cut.mimetype == "application/problem+json"
            assert cut.headers["Retry-After"]
            assert issue().status_code == 200
            with session_on(url) as s:
                assert s.execute(text("SELECT count(*) FROM oauth_tokens")).scalar() == 2
        finally:
            get_db(app).dispose()


def test_statements_on_autocommit_connections_run_as_prepared_statements(database_url, monkeypatch):
    """On a psycopg connection in autocommit mode DriverQuery goes through libpq's own prepared
    statements (DriverQuery._run_prepared), values in text form: each type arrives as it was and
    reads back as psycopg's cursor reads it, a statement dropped on the server is prepared again,
    a constraint still raises SQLAlchemy's error, and what is not sent that way (NUL in text, a
    statement whose parameters the server cannot type, a connection inside a transaction) takes
    psycopg's cursor path with the same result."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")
    from datetime import date, datetime, timedelta, timezone
    from decimal import Decimal

    from sqlalchemy import Boolean, Date, DateTime, Integer, Numeric, String, create_engine
    from sqlalchemy.exc import DataError, IntegrityError, StatementError
    from sqlalchemy.orm import Session

    from platform_api.db import DirectConnection, DriverQuery
    from tests.browser.live import committed_database

    with committed_database(database_url, "prepared") as url:
        engine = create_engine(url, isolation_level="AUTOCOMMIT", pool_size=2, max_overflow=0)
        in_transaction = create_engine(url, pool_size=1, max_overflow=0)
        try:
            with engine.connect() as conn:
                conn.execute(text("CREATE TABLE t (id text PRIMARY KEY, n int, at timestamptz, d date, "
                                  "flag boolean, amount numeric(12, 2), note text, doc jsonb)"))
            insert = DriverQuery(
                "INSERT INTO t (id, n, at, d, flag, amount, note) VALUES (:id, :n, :at, :d, :flag, :amount, :note)",
                params={"id": String(), "n": Integer(), "at": DateTime(timezone=True), "d": Date(),
                        "flag": Boolean(), "amount": Numeric(), "note": String()},
            )
            select = DriverQuery("SELECT id, n, at, d, flag, amount, note, doc FROM t WHERE id >= :first ORDER BY id")
            at = datetime(2026, 11, 21, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=8)))
            rows = [
                {"id": "a", "n": -7, "at": at, "d": date(2026, 2, 28), "flag": False, "amount": Decimal("12.50"),
                 "note": "中文 'quoted' \\ $1"},
                {"id": "b", "n": None, "at": None, "d": None, "flag": True, "amount": None, "note": None},
            ]
            used = []
            original = DriverQuery._run_prepared

            def spy(self, pooled, params):
                used.append(original(self, pooled, params) is not None)
                return [] if used[-1] else None

            direct = DirectConnection(engine)
            try:
                monkeypatch.setattr(DriverQuery, "_run_prepared", spy)
                insert.execute(direct, rows[0])
                with engine.connect() as conn:
                    conn.execute(text("DISCARD ALL"))  # another connection: ours keeps its statement
                direct.pooled().driver_connection.execute("DEALLOCATE ALL")  # ours loses it
                insert.execute(direct, rows[1])
                with pytest.raises(IntegrityError):
                    insert.execute(direct, {**rows[1], "note": "again"})
                insert.execute(direct, {**rows[1], "id": "c"})  # the connection is still usable
                with pytest.raises((DataError, StatementError)):
                    insert.execute(direct, {**rows[1], "id": "d", "note": "nul\x00"})
                assert used == [True, True, True, False]  # the refused insert raised instead
                monkeypatch.setattr(DriverQuery, "_run_prepared", original)
                direct.pooled().driver_connection.execute("UPDATE t SET doc = '{\"k\": [1, \"二\"]}' WHERE id = 'a'")

                prepared = select.rows(direct, {"first": "a"})
                with direct.pooled().driver_connection.cursor() as cur:
                    cur.execute("SELECT id, n, at, d, flag, amount, note, doc FROM t WHERE id >= %s ORDER BY id", ("a",))
                    assert prepared == cur.fetchall()
                assert prepared[0] == ("a", -7, at, date(2026, 2, 28), False, Decimal("12.50"), "中文 'quoted' \\ $1",
                                       {"k": [1, "二"]})
                assert prepared[1] == ("b", None, None, None, True, None, None, None) and len(prepared) == 3
                assert select.rows(direct, {"first": "z"}) == []

                untyped = DriverQuery("SELECT :a + :b")  # unknown + unknown: the server cannot prepare it
                assert untyped.first(direct, {"a": 2, "b": 3}) == (5,) and untyped._pq_refused
            finally:
                direct.close()

            # What a connection's prepared statements need is kept with the pool's record of it,
            # which SQLAlchemy empties for a new connection: a replaced connection is not kept alive.
            import gc
            import weakref

            single = create_engine(url, isolation_level="AUTOCOMMIT", pool_size=1, max_overflow=0)
            try:
                direct = DirectConnection(single)
                assert len(select.rows(direct, {"first": "a"})) == 3
                replaced = weakref.ref(direct.pooled().driver_connection)
                direct.pooled().invalidate()
                direct.close()
                direct = DirectConnection(single)
                assert len(select.rows(direct, {"first": "a"})) == 3  # prepared again on the new connection
                direct.close()
                gc.collect()
                assert replaced() is None
            finally:
                single.dispose()

            with Session(in_transaction) as s:  # psycopg begins the transaction itself: cursor path
                monkeypatch.setattr(DriverQuery, "_run_prepared", spy)
                used.clear()
                assert [r[0] for r in select.rows(s, {"first": "b"})] == ["b", "c"]
                assert used == [False]
                s.rollback()
        finally:
            engine.dispose()
            in_transaction.dispose()
