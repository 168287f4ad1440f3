"""Headless Chromium (Debian's chromium + chromedriver) against the app served for real.

Without Chromium the browser tests are skipped with the reason, except under CI (CI=true),
where they fail: CI must never lose them silently. `.ci/run` installs the two packages.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import shutil
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlencode

import pytest

from platform_api import create_app
from platform_api.db import get_db

from ..conftest import TEST_SECRET
from ..contract import install_contract_check
from .live import ARTIFACTS, ThreadedServer, add_client, add_member, add_user, committed_database, session_on

CHROMIUM = os.environ.get("PLATFORM_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("PLATFORM_TEST_CHROMEDRIVER", "/usr/bin/chromedriver")
PASSWORD = "correct horse battery staple"
SCOPES = ("members:read", "technologies:read", "technologies:write")


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def _missing() -> str | None:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not (os.path.isfile(p) and os.access(p, os.X_OK))]
    if missing:
        return (
            f"headless Chromium is not installed ({', '.join(missing)} missing): "
            "apt-get install chromium chromium-driver (as .ci/run does)"
        )
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "the selenium package is not installed: run ./scripts/bootstrap (it installs the test extra)"
    return None


def require_chromium() -> None:
    reason = _missing()
    if reason is None:
        return
    if in_ci():
        pytest.fail(f"CI=true and the browser tests cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def driver():
    require_chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--window-size=1000,900",
        "--lang=en-US",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # console, CSP reports
    # The driver's path is given explicitly, so Selenium Manager never runs (and never downloads).
    service = Service(executable_path=CHROMEDRIVER, log_output=os.devnull)
    browser = webdriver.Chrome(service=service, options=options)
    browser.set_page_load_timeout(30)
    try:
        yield browser
    finally:
        browser.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def browser(driver, live):
    """The module's Chromium with no cookies left from the previous test."""
    driver.get(live.url + "/healthz")
    driver.delete_all_cookies()
    return driver


class Callback:
    """The client app's redirect URI: a tiny HTTP listener that records what reaches it."""

    def __init__(self):
        hits = self.hits = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                hits.append(self.path)
                body = b"<!doctype html><html lang='en'><title>Client app</title><h1>Back at the client app</h1></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.uri = f"http://127.0.0.1:{self.server.server_port}/callback"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class Live:
    """What the browser tests know about the running service and its seeded rows."""

    url: str
    redirect_uri: str
    client_id: str
    client_name: str
    owner_name: str
    email: str
    password: str = PASSWORD
    scopes = SCOPES

    def authorize_url(self, *, state: str | None = None, scope=SCOPES) -> tuple[str, str, str]:
        """(url, state, code_verifier) for one authorization request."""
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        state = state or secrets.token_urlsafe(12)
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": " ".join(scope),
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        return f"{self.url}/oauth/authorize?{urlencode(params)}", state, verifier


@pytest.fixture(scope="module")
def live(database_url, tmp_path_factory):
    """The app on a committed database of its own, served by werkzeug on 127.0.0.1."""
    info = Live()
    base = database_url if database_url.startswith("postgresql") else None
    with committed_database(base, "browser") as url, Callback() as callback:
        with session_on(url) as s:
            home = add_member(s, name="Tsinghua University TTO", country="CN")
            owner = add_member(s, name="Fraunhofer Licensing GmbH", country="DE", kind="tech_transfer_agency")
            info.email = f"li.wei.{secrets.token_hex(3)}@example.edu.cn"
            add_user(s, home, email=info.email, password=PASSWORD)
            client, _ = add_client(
                s, owner, public=True, redirect_uris=[callback.uri], scopes=SCOPES, name="Fraunhofer Partner App"
            )
            info.client_id, info.client_name, info.owner_name = client.client_id, client.name, owner.name
        app = create_app(
            {
                "database_url": url,
                "env": "test",
                "secret_key": TEST_SECRET,
                "instance_path": str(tmp_path_factory.mktemp("browser-instance")),
                "rate_limit": "100000/minute",
                "login_rate_limit": "1000/minute",
            }
        )
        install_contract_check(app)  # the browser's traffic is held to openapi.yaml too
        info.redirect_uri = callback.uri
        info.callback = callback
        try:
            with ThreadedServer(app) as server:
                info.url = server.url
                yield info
        finally:
            get_db(app).dispose()


@pytest.fixture(scope="session")
def artifacts():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
