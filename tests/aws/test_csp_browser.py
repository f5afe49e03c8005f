"""The site under the security headers CloudFront adds (template.yaml, with the hashes
`scripts/deploy` computes): Chromium reports no CSP violation, and Material's scripts still work
(search runs its worker and finds pages; a video poster opens its player frame)."""

from __future__ import annotations

import functools
import http.server
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from playwright.sync_api import Page, sync_playwright

from scripts.deploy_aws import inline_script_hashes
from tests.support.aws_template import resources, sub_text

CHROMIUM = "/usr/bin/chromium"
PAGES = [
    "/", "/seminars/", "/drill/", "/apply/drill/", "/officers/", "/participants/", "/help/", "/selfcheck/",
    "/learn/", "/chambers/", "/managers/", "/further/", "/contact/", "/privacy/", "/404.html",
]  # fmt: skip


def headers_for(site: Path) -> dict[str, str]:
    """The response headers policy as CloudFront applies it; served over plain HTTP on loopback, so
    without upgrade-insecure-requests (it would send the browser to https://127.0.0.1)."""
    policy = resources("AWS::CloudFront::ResponseHeadersPolicy")["SecurityHeadersPolicy"]
    config = policy["Properties"]["ResponseHeadersPolicyConfig"]
    csp = " ".join(
        sub_text(config["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]).split()
    )
    csp = csp.replace("${InlineScriptHashes}", " ".join(inline_script_hashes(site)))
    csp = re.sub(r";\s*upgrade-insecure-requests", "", csp)
    headers = {"Content-Security-Policy": csp, "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY"}
    headers |= {item["Header"]: item["Value"] for item in config["CustomHeadersConfig"]["Items"]}
    return headers


class _Handler(http.server.SimpleHTTPRequestHandler):
    extra: ClassVar[dict[str, str]] = {}

    def end_headers(self) -> None:
        for name, value in self.extra.items():
            self.send_header(name, value)
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture(scope="module")
def csp_site(built_site: Path) -> Iterator[str]:
    handler = type("Handler", (_Handler,), {"extra": headers_for(built_site)})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(built_site))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def tab(csp_site: str) -> Iterator[tuple[Page, list[str]]]:
    assert Path(CHROMIUM).exists(), "Chromium is missing (make test-deps installs Debian's chromium)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        context = browser.new_context()
        violations: list[str] = []
        # Report every violation, whatever the page does with its own console.
        context.add_init_script(
            "document.addEventListener('securitypolicyviolation', e => console.error("
            "'CSP-VIOLATION ' + e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sample"
            " + ' at ' + e.sourceFile + ':' + e.lineNumber + ':' + e.columnNumber));"
        )
        page = context.new_page()
        page.on("console", lambda m: violations.append(m.text) if "CSP-VIOLATION" in m.text else None)
        page.on(
            "console",
            lambda m: (
                violations.append(m.text)
                if m.type == "error" and "Content Security Policy" in m.text
                else None
            ),
        )
        yield page, violations
        browser.close()


@pytest.mark.browser
@pytest.mark.parametrize("path", PAGES)
def test_no_csp_violation_on_the_page(tab: tuple[Page, list[str]], csp_site: str, path: str) -> None:
    page, violations = tab
    violations.clear()
    page.goto(csp_site + path, wait_until="networkidle")
    # Material's bundle ran (it needs the hashed inline script before it): it marks the body.
    page.wait_for_function(
        "() => window.__md_scope instanceof URL && document.querySelector('[data-md-component]')"
    )
    assert violations == [], violations


@pytest.mark.browser
def test_search_and_video_poster_work_under_the_policy(tab: tuple[Page, list[str]], csp_site: str) -> None:
    page, violations = tab
    violations.clear()
    page.goto(csp_site + "/", wait_until="networkidle")
    box = page.locator("input.md-search__input")
    box.click()
    page.keyboard.insert_text("訓練")
    box.press("End")
    # A locator wait, not `wait_for_function`: its later polls evaluate a string, which this CSP forbids.
    page.locator("a.md-search-result__link").first.wait_for(timeout=10000)

    page.goto(csp_site + "/seminars/", wait_until="networkidle")
    poster = page.locator("a[data-facade-embed]").first
    embed = poster.get_attribute("data-facade-embed") or ""
    assert embed.startswith("https://www.youtube-nocookie.com/")
    poster.click()
    frame = page.locator("iframe")
    frame.first.wait_for(state="attached")
    assert (frame.first.get_attribute("src") or "").startswith("https://www.youtube-nocookie.com/")
    assert violations == [], violations
