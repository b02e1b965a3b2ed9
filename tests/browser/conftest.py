"""Browser fixtures: the real app served on 127.0.0.1, and a Chromium page driven by Playwright.

Debian's Chromium at /usr/bin/chromium is used (never `playwright install`). Without it the
browser tests skip — unless `CI` is set, where a missing browser is a failure.
"""

from __future__ import annotations

import os

import pytest
from support import served_over_http

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def live_server(app):
    """The test app (same database, CSRF on) served by werkzeug in a thread; its base URL."""
    app.config["WTF_CSRF_ENABLED"] = True
    with served_over_http(app, "live-server") as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium for the whole run."""
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} is missing: install Debian's chromium package"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser page (own cookies) with `page.base_url` set to the live server."""
    context = browser.new_context(base_url=live_server, viewport={"width": 1200, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.base_url = live_server
    yield page
    context.close()
