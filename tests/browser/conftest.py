"""Headless Chromium through Playwright, driving Debian's chromium (never a downloaded browser).

Without /usr/bin/chromium the browser tests skip and say how to install it — except where
JXT_REQUIRE_BROWSER=1 (CI), where a missing browser is a failure.
"""

import os
import re
import shutil

import pytest

CHROMIUM = os.environ.get("JXT_CHROMIUM", "/usr/bin/chromium")
# Chromium's own background traffic is refused on an offline machine; keep it quiet.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# there (fixtures, assertions) are ordinary synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    if os.path.exists(CHROMIUM) or shutil.which(CHROMIUM):
        return
    if os.environ.get("JXT_REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(f"browser tests are required here but {CHROMIUM} is missing")
    skip = pytest.mark.skip(
        reason=f"{CHROMIUM} not found: install Debian's chromium (sudo apt-get install chromium) to run browser tests"
    )
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def live_server(request):
    """pytest-django's live server, started with a MEDIA_URL of its own.

    settings.MEDIA_URL is None (attachments leave only through a view that checks scope), and the
    media handler Django's live server wraps every request in cannot take None (it fails each
    request with a TypeError). The handler reads the setting once, when the server starts.
    """
    from django.test import override_settings
    from pytest_django.live_server_helper import LiveServer

    addr = request.config.getvalue("liveserver") or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS") or "localhost"
    with override_settings(MEDIA_URL="/__live_server_media__/"):
        server = LiveServer(addr)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def login(page):
    """``login(user)``: sign in through the real login form (and sign out whoever was in)."""
    from tests.factories import PASSWORD

    def sign_in(user):
        page.context.clear_cookies()
        page.goto("/accounts/login/")
        page.get_by_label("用户名").fill(user.username)
        page.get_by_label("密码").fill(PASSWORD)
        # The button reads “登 录” (spaced for looks), so match the name loosely.
        page.get_by_role("button", name=re.compile(r"^登\s*录$")).click()
        page.wait_for_url(lambda url: "/accounts/login/" not in url)

    return sign_in

