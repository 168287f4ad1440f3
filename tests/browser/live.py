"""Real, committed databases and real servers for the tests that go over the network.

The rest of the suite runs inside one rolled-back transaction; a browser or a pool of gunicorn
workers cannot share it. These helpers make a database of their own that is migrated like
production, committed for real, and thrown away afterwards:

- on SQLite, a fresh file in a temporary folder;
- on PostgreSQL, a new database on the server of DATABASE_URL (``<prefix>_<random>``), dropped
  with FORCE at the end, so nothing the suite's own database holds is touched.

Used by tests/browser (werkzeug in a thread) and tests/concurrency (gunicorn workers).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import tempfile
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from platform_api import migrate
from platform_api.config import DEFAULT_SCOPES
from platform_api.db import make_engine, new_id, utcnow
from platform_api.security import new_secret, secret_hash

# Screenshots for people to look at: outside the checkout (tests never write into it) unless
# TEST_ARTIFACTS names a folder.
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS") or Path(tempfile.gettempdir()) / "platform-test-artifacts")


@contextlib.contextmanager
def committed_database(base_url: str | None, prefix: str) -> Iterator[str]:
    """Yield the URL of a new, migrated, empty database; drop it afterwards."""
    if not base_url or base_url.startswith("sqlite"):
        folder = tempfile.mkdtemp(prefix=f"{prefix}-")
        url = f"sqlite:///{folder}/live.sqlite3"
        try:
            migrate.upgrade(url)
            yield url
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return

    server = make_url(base_url)
    name = f"{prefix}_{secrets.token_hex(5)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = server.set(database=name).render_as_string(hide_password=False)
        try:
            migrate.upgrade(url)
            yield url
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextlib.contextmanager
def session_on(url: str) -> Iterator[Session]:
    """A plain session on a committed database; commits when the block ends without error."""
    engine = make_engine(url)
    try:
        with Session(engine, expire_on_commit=False) as s:
            yield s
            s.commit()
    finally:
        engine.dispose()


def add_member(s: Session, *, name: str | None = None, country: str = "CN", status: str = "active", **kw):
    from platform_api.members.models import Member

    n = secrets.token_hex(3)
    member = Member(
        name=name or f"Live Member {n}", kind=kw.pop("kind", "university"), country=country, status=status,
        email=kw.pop("email", f"office-{n}@member.example"), **kw,
    )
    s.add(member)
    s.flush()
    return member


def add_user(s: Session, member, *, email: str, password: str, role: str = "staff"):
    from platform_api.accounts.models import User
    from platform_api.security import hash_password

    user = User(member=member, email=email, password_hash=hash_password(password), role=role)
    s.add(user)
    s.flush()
    return user


def add_client(s: Session, member, *, public: bool = False, redirect_uris=(), scopes=DEFAULT_SCOPES, name=None):
    """An OAuth client; returns (client, plain secret or None)."""
    from platform_api.oauth.models import OAuthClient

    secret = None if public else new_secret()
    client = OAuthClient(
        client_id="cl_" + new_secret(12),
        member=member,
        name=name or f"Live client {secrets.token_hex(3)}",
        client_type="public" if public else "confidential",
        secret_hash=None if public else secret_hash(secret),
        grant_types=["authorization_code", "refresh_token"] if public else ["client_credentials"],
        scopes=list(scopes),
        redirect_uris=list(redirect_uris),
    )
    s.add(client)
    s.flush()
    return client, secret


def add_token(s: Session, client, *, scopes=None, ttl: int = 3600, user=None) -> str:
    """A stored access token for a client (client-credentials style, or for `user`); returns its plain value."""
    from platform_api.oauth.models import Token

    value = new_secret()
    now = utcnow()
    s.add(
        Token(
            access_token_hash=secret_hash(value),
            client_pk=client.id,
            member_id=user.member_id if user is not None else client.member.id,
            user_id=user.id if user is not None else None,
            grant_type="authorization_code" if user is not None else "client_credentials",
            scope=" ".join(scopes if scopes is not None else client.scopes),
            family_id=new_id(),
            issued_at=now,
            expires_in=ttl,
            access_expires_at=now + timedelta(seconds=ttl),
        )
    )
    s.flush()
    return value


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ThreadedServer:
    """A WSGI app served for real by werkzeug on 127.0.0.1, in a daemon thread."""

    def __init__(self, app):
        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name=f"live-{self.port}", daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
