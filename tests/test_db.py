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


def test_adopt_puts_a_row_read_by_a_core_select_in_the_session(db_session):
    from datetime import timezone

    from sqlalchemy import select

    from platform_api.db import adopt, column_attrs
    from platform_api.members.models import Member
    from tests.factories.members import MemberFactory

    member = MemberFactory(description={"en": "Lab", "zh": "实验室"})
    db_session.flush()
    attrs = column_attrs(Member)
    row = db_session.execute(select(*[col for _, col in attrs]).where(Member.id == member.id)).one()
    values = {key: row[i] for i, (key, _) in enumerate(attrs)}
    assert values["description"] == {"en": "Lab", "zh": "实验室"}  # JSON decoded on both databases
    assert values["created_at"] == member.created_at and values["created_at"].tzinfo == timezone.utc
    # adopting a row already in the session returns the session's own object, changes and all
    member.name = "Changed, not yet flushed"
    assert adopt(db_session, Member, values) is member
    db_session.expunge(member)
    adopted = adopt(db_session, Member, values)
    assert adopted is not member and adopted.description == {"en": "Lab", "zh": "实验室"}
    assert adopted in db_session and adopted not in db_session.dirty


def test_token_issue_without_a_transaction_fails_cleanly_when_its_connection_is_cut(database_url, settings_overrides):
    """Client-credentials issue stores its token straight on a pooled connection (oauth/fastpath.py):
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
