import pytest
from playwright.sync_api import Page

from tests.support.browser import RequestLog

pytestmark = pytest.mark.browser


def test_top_page_renders_in_japanese_without_foreign_requests(page: Page, request_log: RequestLog) -> None:
    page.goto("/", wait_until="networkidle")
    assert page.locator("html").get_attribute("lang") == "ja"
    assert "セキュリティ訓練キャンペーン" in page.title()
    assert request_log.urls, "the page made no request at all: the log is not wired"
    assert request_log.foreign() == []
