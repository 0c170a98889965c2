"""Playwright on Debian's Chromium (`apt-get install chromium`); Playwright's own browser download is not used."""

import os
import shutil

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def _browser():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `apt-get install -y chromium` (make test does).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(_browser, live_server):
    context = _browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def login():
    """login(page, live_server, username, password="demo-password-1"): log in through the real login page."""
    return _login


def _login(page, live_server, username, password="demo-password-1"):
    """Where the user's role requires two-factor sign-in, their authenticator app is set up beforehand (if not yet)
    and the code it shows is typed at the second step, as the person would."""
    from second_factor import authenticator_of, current_code, needs_second_factor

    from ketamine_clinic.accounts.models import User

    user = User.objects.filter(username=username).first()
    if user is not None and needs_second_factor(user):
        authenticator_of(user)
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/login/" not in page.url, f"login as {username} failed"
    if "/account/verify/" in page.url:
        page.fill("#id_code", current_code(authenticator_of(user)))
        page.click("#verify-code")  # not the first submit button: that is the top bar's "Log out"
        page.wait_for_load_state("networkidle")
        assert "/account/" not in page.url, f"second step of the login as {username} failed"
