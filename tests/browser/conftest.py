"""A real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright, against the local
server on a free loopback port. When `CI` is set a missing browser fails the run instead of skipping."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from tests.support.browser import RequestLog, local_server

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def live_server(built_site: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The same app `make run` serves, on a free port, for the whole session."""
    with local_server(built_site, tmp_path_factory.mktemp("live-var")) as server:
        yield server.url


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as instance:
        yield instance


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        message = f"Chromium not found at {CHROMIUM}; `make test` installs Debian's chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    instance = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield instance
    instance.close()


@pytest.fixture
def page(browser: Browser, live_server: str) -> Iterator[Page]:
    context = browser.new_context(locale="ja-JP", base_url=live_server)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def no_js_page(browser: Browser, live_server: str) -> Iterator[Page]:
    """A page with JavaScript turned off (what each widget shows without it)."""
    context = browser.new_context(locale="ja-JP", base_url=live_server, java_script_enabled=False)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def request_log(page: Page, live_server: str) -> RequestLog:
    log = RequestLog(own_origin=live_server)
    page.on("request", log.record)
    return log
