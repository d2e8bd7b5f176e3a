"""Headless Chromium through Playwright, driving Debian's chromium (never a downloaded browser).

Without /usr/bin/chromium the browser tests skip and say how to install it — except where
JXT_REQUIRE_BROWSER=1 (CI), where a missing browser is a failure.
"""

import os
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
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(lambda url: "/accounts/login/" not in url)

    return sign_in
