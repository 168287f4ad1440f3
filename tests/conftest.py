"""Test harness: migrations once per run, every test inside a rolled-back transaction.

Set DATABASE_URL (postgresql+psycopg://...) to run the suite on PostgreSQL; otherwise it runs on
a fresh SQLite file.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest
from sqlalchemy import text

from platform_api import create_app, migrate
from platform_api.db import get_db, make_engine

from .factories.base import set_session

TEST_SECRET = "test-secret-key-" + "x" * 32


def pytest_configure(config):
    """Tests write nothing into the checkout: hypothesis (tests/fuzz, through schemathesis) keeps its
    caches and example database in ./.hypothesis unless told otherwise; a temporary folder here."""
    if "HYPOTHESIS_STORAGE_DIRECTORY" not in os.environ:
        folder = tempfile.mkdtemp(prefix="hypothesis-")
        os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = folder
        config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))


def _reset_postgres(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        if not url.startswith("postgresql"):
            raise pytest.UsageError("DATABASE_URL for tests must be PostgreSQL (or unset for SQLite)")
        _reset_postgres(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    migrate.upgrade(url)
    return url


@pytest.fixture(scope="session")
def settings_overrides(database_url, tmp_path_factory) -> dict:
    return {
        "database_url": database_url,
        "env": "test",
        "secret_key": TEST_SECRET,
        "instance_path": str(tmp_path_factory.mktemp("instance")),
        "rate_limit": "100000/minute",
        "login_rate_limit": "1000/minute",
        # The harness rolls every test back: PostgreSQL never sends the notifications that keep
        # the credential cache exact. tests/oauth/test_credential_cache.py covers it on commits.
        "credential_cache": False,
    }


@pytest.fixture(scope="session")
def app(settings_overrides):
    application = create_app(dict(settings_overrides))
    from .contract import install_contract_check

    install_contract_check(application)
    yield application
    get_db(application).dispose()


@pytest.fixture(autouse=True)
def connection(app):
    """Every test runs in one outer transaction that is rolled back at its end."""
    db = get_db(app)
    conn = db.engine.connect()
    outer = conn.begin()
    db.sessionmaker.configure(bind=conn, join_transaction_mode="create_savepoint")
    try:
        yield conn
    finally:
        db.sessionmaker.configure(bind=db.engine, join_transaction_mode="conservative_savepoint")
        outer.rollback()
        conn.close()


@pytest.fixture(autouse=True)
def db_session(app, connection):
    s = get_db(app).sessionmaker()
    set_session(s)
    yield s
    set_session(None)
    s.close()


@pytest.fixture(autouse=True)
def _contract(app):
    """Fail the test if any response it caused, from any checked app, does not match openapi.yaml."""
    from .contract import drain_failures

    drain_failures()
    yield
    found = drain_failures()
    if found:
        pytest.fail(
            "responses that break the contract (openapi.yaml):\n" + "\n".join(f"- {f}" for f in found),
            pytrace=False,
        )


@pytest.fixture(autouse=True)
def _fresh_limits(app):
    app.extensions["platform_ratelimit"].reset()
    yield


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def is_postgres(database_url) -> bool:
    return database_url.startswith("postgresql")


@pytest.fixture
def make_app(settings_overrides, connection):
    """Another app with different settings, sharing the test's rolled-back connection."""
    from .contract import install_contract_check

    apps = []

    def factory(**overrides):
        application = create_app({**settings_overrides, **overrides})
        install_contract_check(application)
        get_db(application).sessionmaker.configure(bind=connection, join_transaction_mode="create_savepoint")
        apps.append(application)
        return application

    yield factory
    for application in apps:
        get_db(application).dispose()
