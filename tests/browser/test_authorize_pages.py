"""The sign-in and consent pages of /oauth/authorize, in a real headless Chromium.

Screenshots of each page go to $TEST_ARTIFACTS (default: platform-test-artifacts in the system's
temporary folder) for people to look at.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from platform_api.oauth.scopes import SCOPE_DESCRIPTIONS


WAIT = 15


def _wait(driver, predicate, what: str):
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, WAIT).until(lambda d: predicate(d))
    except TimeoutException:
        pytest.fail(
            f"timed out waiting for {what}; the browser is at {driver.current_url}:\n{_text(driver)[:2000]}\n"
            f"browser console: {_console(driver)}"
        )


def _console(driver) -> list[str]:
    try:
        return [entry.get("message", "") for entry in driver.get_log("browser")]
    except Exception as exc:  # the log is a diagnostic only
        return [f"(console not available: {exc})"]


def _text(driver) -> str:
    return driver.execute_script("return document.body ? document.body.innerText : ''")


def _h1(driver) -> str:
    return driver.execute_script("const h = document.querySelector('h1'); return h ? h.innerText : ''")


def _on_page(driver, heading_start: str):
    _wait(driver, lambda d: _h1(d).startswith(heading_start), f"a page headed {heading_start!r}")


def _css(driver, selector: str):
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)


def _query(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


CSP_BLOCKS_REDIRECT = (
    "the consent page's Content-Security-Policy blocked the redirect back to the client: Chromium applies "
    "form-action to the redirect that answers a form, so the page must allow the redirect URI's origin"
)


def _at_callback(driver, live):
    """Wait for the browser to reach the client's redirect URI; return the query it carries."""
    console: list[str] = []
    deadline = time.monotonic() + WAIT
    while not driver.current_url.startswith(live.redirect_uri):
        console += _console(driver)  # reading the log empties it: keep what was read
        if any("form-action" in line and "Content Security Policy" in line for line in console):
            pytest.fail(f"{CSP_BLOCKS_REDIRECT}; console: {console}")
        if time.monotonic() > deadline:
            pytest.fail(f"the browser never reached the redirect URI; it is at {driver.current_url}; console: {console}")
        time.sleep(0.1)
    return _query(driver.current_url)


def _screenshot(driver, artifacts, name: str) -> None:
    path = artifacts / f"{name}.png"
    # Grow the window until the whole page fits, so that the screenshot shows all of it.
    for _ in range(3):
        missing = driver.execute_script(
            "return document.documentElement.scrollHeight - window.innerHeight"
        )
        if missing <= 0:
            break
        height = driver.get_window_size()["height"]
        driver.set_window_size(1000, min(height + int(missing) + 16, 3000))
    assert driver.save_screenshot(str(path)), f"could not save {path}"


UNLABELLED_JS = """
const out = [];
const name = el => (el.getAttribute('aria-label') || '').trim();
const labelledBy = el => (el.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean)
    .map(id => document.getElementById(id)).filter(Boolean).map(e => e.innerText.trim()).join(' ');
for (const el of document.querySelectorAll('input, select, textarea')) {
  if ((el.getAttribute('type') || '').toLowerCase() === 'hidden') continue;
  const forLabel = el.id ? document.querySelector(`label[for="${CSS.escape(el.id)}"]`) : null;
  const wrapping = el.closest('label');
  const text = (forLabel && forLabel.innerText.trim()) || (wrapping && wrapping.innerText.trim()) || name(el) || labelledBy(el);
  if (!text) out.push(el.outerHTML);
}
for (const el of document.querySelectorAll('button, [role=button], a[href]')) {
  if (!((el.innerText || '').trim() || name(el) || labelledBy(el))) out.push(el.outerHTML);
}
return {unlabelled: out, lang: document.documentElement.lang, title: document.title,
        inputs: document.querySelectorAll('input:not([type=hidden]), select, textarea').length};
"""


def assert_labelled(driver, page: str, *, min_inputs: int = 0) -> None:
    """Every visible form control has a label (label[for], a wrapping label or aria-label)."""
    found = driver.execute_script(UNLABELLED_JS)
    assert found["unlabelled"] == [], f"{page}: form controls without a label: {found['unlabelled']}"
    assert found["inputs"] >= min_inputs, f"{page}: expected at least {min_inputs} inputs"
    assert found["lang"], f"{page}: <html> has no lang"
    assert found["title"].strip(), f"{page}: no <title>"


def _sign_in_with_mouse(driver, live, email: str, password: str) -> None:
    _css(driver, "#email")[0].clear()
    _css(driver, "#email")[0].send_keys(email)
    _css(driver, "#password")[0].send_keys(password)
    _css(driver, "form button[type=submit]")[0].click()


def _exchange(live, code: str, verifier: str) -> dict:
    resp = requests.post(
        f"{live.url}/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": live.redirect_uri,
            "client_id": live.client_id,
            "code_verifier": verifier,
        },
        timeout=10,
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_sign_in_read_scopes_approve_and_land_on_the_redirect_uri(browser, live, artifacts):
    url, state, verifier = live.authorize_url()
    browser.get(url)
    _on_page(browser, "Sign in")
    assert live.client_name in _text(browser)
    assert_labelled(browser, "sign-in page", min_inputs=2)
    _screenshot(browser, artifacts, "signin")

    _sign_in_with_mouse(browser, live, live.email, live.password)
    _on_page(browser, "Allow ")
    assert_labelled(browser, "consent page")
    _screenshot(browser, artifacts, "consent")

    # The scopes in plain words, each with its technical name beside it, in the order asked.
    items = _css(browser, "ul.scopes li")
    shown = [li.find_element("css selector", ".scope-text").text for li in items]
    assert shown == [SCOPE_DESCRIPTIONS[s] for s in live.scopes]
    assert [li.find_element("css selector", "code").text for li in items] == list(live.scopes)
    page = _text(browser)
    assert f"Allow {live.client_name} to act for Tsinghua University TTO?" in page
    assert f"registered by {live.owner_name} (DE, overseas partner)" in page
    assert f"you will return to {urlsplit(live.redirect_uri).netloc}" in page
    assert f"Signed in as {live.email}" in page

    _css(browser, "button[value=approve]")[0].click()
    params = _at_callback(browser, live)
    assert params["state"] == state
    assert params.get("code"), params
    assert "error" not in params
    assert params["iss"] == "http://127.0.0.1:8000"  # RFC 9207: the issuer (this app's default)
    assert f"/callback?{urlencode({'code': params['code'], 'state': state, 'iss': params['iss']})}" in live.callback.hits

    # The code the browser carried back works, once, for the scopes that were shown.
    token = _exchange(live, params["code"], verifier)
    assert token["scope"].split() == list(live.scopes)
    me = requests.get(f"{live.url}/v1/me", headers={"Authorization": f"Bearer {token['access_token']}"}, timeout=10)
    assert me.status_code == 200 and me.json()["person"]["email"] == live.email


def test_deny_returns_access_denied_with_the_state(browser, live):
    url, state, _verifier = live.authorize_url()
    browser.get(url)
    _on_page(browser, "Sign in")
    _sign_in_with_mouse(browser, live, live.email, live.password)
    _on_page(browser, "Allow ")
    _css(browser, "button[value=deny]")[0].click()
    params = _at_callback(browser, live)
    assert params.get("error") == "access_denied" and params.get("state") == state, params
    assert "code" not in params


def _error_view(driver) -> dict:
    return driver.execute_script(
        """
        const alert = document.querySelector('[role=alert]');
        const form = document.querySelector('form');
        return {
          message: alert ? alert.innerText.trim() : null,
          alertId: alert ? alert.id : null,
          describedBy: form ? form.getAttribute('aria-describedby') : null,
          main: document.querySelector('main').innerText,
          email: document.getElementById('email').value,
          password: document.getElementById('password').value,
        };
        """
    )


def test_wrong_password_and_unknown_email_get_the_same_page(browser, live, artifacts):
    url, _state, _verifier = live.authorize_url()
    browser.get(url)
    _on_page(browser, "Sign in")
    _sign_in_with_mouse(browser, live, live.email, "not the right password")
    _wait(browser, lambda d: _css(d, "[role=alert]"), "the sign-in error")
    wrong_password = _error_view(browser)
    assert_labelled(browser, "sign-in page with an error", min_inputs=2)
    _screenshot(browser, artifacts, "signin-error")

    unknown = f"nobody.{live.email}"
    _sign_in_with_mouse(browser, live, unknown, "not the right password")
    _wait(browser, lambda d: _error_view(d)["email"] == unknown, "the sign-in page for the unknown e-mail")
    unknown_email = _error_view(browser)

    assert wrong_password["message"], "no error message shown"
    assert wrong_password["message"] == unknown_email["message"]
    # The whole visible page is the same: nothing tells whether the e-mail exists.
    assert wrong_password["main"] == unknown_email["main"]
    lowered = wrong_password["message"].lower()
    for telltale in ("exist", "unknown", "not found", "no account", "not registered", "wrong password"):
        assert telltale not in lowered, wrong_password["message"]
    # Screen readers hear the message with the form; the typed e-mail stays, the password does not.
    assert wrong_password["describedBy"] == wrong_password["alertId"] != ""
    assert wrong_password["email"] == live.email and wrong_password["password"] == ""
    assert "Sign in" in _h1(browser)


def _focused(driver) -> dict:
    return driver.execute_script(
        """
        const el = document.activeElement;
        const style = getComputedStyle(el);
        return {tag: el.tagName.toLowerCase(), id: el.id, type: el.type || null, value: el.value || null,
                text: (el.innerText || '').trim(), outline: style.outlineStyle, outlineWidth: style.outlineWidth};
        """
    )


def _keys(driver, *keys) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(driver).send_keys(*keys).perform()


def _tab_to(driver, predicate, what: str, limit: int = 12) -> list[dict]:
    from selenium.webdriver.common.keys import Keys

    seen = []
    for _ in range(limit):
        _keys(driver, Keys.TAB)
        now = _focused(driver)
        seen.append(now)
        if predicate(now):
            return seen
    pytest.fail(f"Tab never reached {what}; focus went through {seen}")


def _settled_focus(driver, settle: float = 2.0) -> dict:
    """The focused element once the page's autofocus has had its chance: Chromium applies
    `autofocus` a moment after the load, and a busy machine widens that moment (a Tab sent
    before it lands starts from the body and then skips the field autofocus moved to)."""
    deadline = time.monotonic() + settle
    while True:
        now = _focused(driver)
        if now["tag"] != "body" or time.monotonic() > deadline:
            return now
        time.sleep(0.05)


def _visible_focus(state: dict) -> None:
    assert state["outline"] not in ("none", "") and state["outlineWidth"] not in ("0px", ""), (
        f"the focused element shows no focus outline: {state}"
    )


def test_keyboard_only_sign_in_and_approve(browser, live, artifacts):
    """Tab, type, Enter and Space only: no element is clicked in this test."""
    from selenium.webdriver.common.keys import Keys

    url, state, verifier = live.authorize_url()
    browser.get(url)
    _on_page(browser, "Sign in")

    first = _settled_focus(browser)
    if first["id"] != "email":  # no autofocus honoured: the e-mail field must be the first Tab stop
        seen = _tab_to(browser, lambda f: f["id"] == "email", "the e-mail field", limit=3)
        assert len(seen) == 1, f"the e-mail field is not the first Tab stop: {seen}"
    _keys(browser, live.email)
    _keys(browser, Keys.TAB)
    assert _focused(browser)["id"] == "password", "Tab from the e-mail field does not reach the password"
    _keys(browser, live.password)
    _keys(browser, Keys.TAB)
    button = _focused(browser)
    assert button["tag"] == "button" and button["text"] == "Sign in", button
    _visible_focus(button)
    _keys(browser, Keys.ENTER)

    _on_page(browser, "Allow ")
    order = _tab_to(browser, lambda f: f["value"] == "approve", "the Approve button")
    assert [f for f in order if f["tag"] in ("input", "select", "textarea")] == [], order
    _visible_focus(order[-1])
    _screenshot(browser, artifacts, "consent-keyboard-focus")
    # Deny and "Not you?" come after Approve in the Tab order.
    after = _tab_to(browser, lambda f: f["value"] == "switch", "the switch-account button", limit=4)
    assert [f["value"] for f in after] == ["deny", "switch"], after
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(browser).key_down(Keys.SHIFT).send_keys(Keys.TAB, Keys.TAB).key_up(Keys.SHIFT).perform()
    assert _focused(browser)["value"] == "approve"
    _keys(browser, Keys.SPACE)

    params = _at_callback(browser, live)
    assert params["state"] == state and params.get("code")
    _exchange(live, params["code"], verifier)


def test_every_input_has_a_label_on_every_page(browser, live):
    url, _state, _verifier = live.authorize_url()
    browser.get(url)
    _on_page(browser, "Sign in")
    assert_labelled(browser, "sign-in page", min_inputs=2)
    _sign_in_with_mouse(browser, live, live.email, "wrong password!!")
    _wait(browser, lambda d: _css(d, "[role=alert]"), "the sign-in error")
    assert_labelled(browser, "sign-in page with an error", min_inputs=2)
    _sign_in_with_mouse(browser, live, live.email, live.password)
    _on_page(browser, "Allow ")
    assert_labelled(browser, "consent page")
    browser.get(live.url + "/oauth/authorize?response_type=code&client_id=nobody")
    _on_page(browser, "This request cannot continue")
    assert_labelled(browser, "error page")
