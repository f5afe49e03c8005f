"""The self-check scored in a real Chromium, the help page's anchors, and axe-core on these pages.

Expected scores are computed here from `content/selfcheck.yml` itself, independently of both the
page script and the Python renderer, so a drift in either shows up as a failure."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Request, expect

from campaign_core.content_cache import load_yaml
from campaign_core.settings import PROJECT_ROOT
from tests.support.browser import AXE_JS, RequestLog

pytestmark = pytest.mark.browser

CONTENT = PROJECT_ROOT / "content"


def selfcheck_data() -> dict[str, Any]:
    data: dict[str, Any] = load_yaml(CONTENT, "selfcheck")
    return data


def answer_pattern(data: dict[str, Any], offset: int) -> dict[str, str]:
    """A varied, deterministic set of answers: item n gets choice (n + offset) mod 4."""
    choice_ids = [choice["id"] for choice in data["choices"]]
    items = [item for group in data["groups"] for item in group["items"]]
    return {
        item["id"]: choice_ids[(n + offset * n // 3 + offset) % len(choice_ids)]
        for n, item in enumerate(items)
    }


def expected_result(data: dict[str, Any], answers: dict[str, str]) -> tuple[int, dict[str, int], str]:
    points = {choice["id"]: int(choice["points"]) for choice in data["choices"]}
    per_group = {
        group["id"]: sum(points[answers[item["id"]]] for item in group["items"]) for group in data["groups"]
    }
    total = sum(per_group.values())
    bands = [band["id"] for band in data["bands"] if int(band["min"]) <= total <= int(band["max"])]
    assert len(bands) == 1, "the content data itself has a gap or an overlap"
    return total, per_group, bands[0]


def fill(page: Page, answers: dict[str, str]) -> None:
    for item_id, choice_id in answers.items():
        page.locator(f"#item-{item_id} input[value='{choice_id}']").check()


def run_axe(page: Page) -> list[dict[str, Any]]:
    # A hovered link takes the theme's hover colour; axe judges the page at rest.
    page.mouse.move(0, 0)
    page.add_script_tag(path=str(AXE_JS))
    violations: list[dict[str, Any]] = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return violations


@pytest.mark.parametrize("offset", [0, 1, 2, 5])
def test_selfcheck_score_and_band_match_the_content_data(
    page: Page, request_log: RequestLog, offset: int
) -> None:
    methods: list[str] = []
    page.on("request", lambda request: methods.append(request.method))
    page.goto("/selfcheck/", wait_until="networkidle")
    requests_after_load = len(request_log.urls)

    data = selfcheck_data()
    answers = answer_pattern(data, offset)
    total, per_group, band_id = expected_result(data, answers)
    fill(page, answers)
    page.get_by_role("button", name="採点する").click()

    result = page.locator("#selfcheck-result")
    expect(result).to_be_visible()
    expect(result.locator("[data-role=total]")).to_have_text(str(total))
    for group_id, score in per_group.items():
        expect(result.locator(f"[data-group-row='{group_id}'] [data-role=group-score]")).to_have_text(
            str(score)
        )
    expect(result.locator("[data-role=band]")).to_have_attribute("data-band-shown", band_id)
    band = next(band for band in data["bands"] if band["id"] == band_id)
    expect(result.locator("[data-role=band]")).to_contain_text(band["title"])
    # Items answered "not yet" or "unknown" are listed for review.
    low = {choice["id"] for choice in data["choices"] if int(choice["points"]) <= 0}
    expect(result.locator("[data-role=review-list] li")).to_have_count(
        sum(v in low for v in answers.values())
    )

    # Nothing left the browser: no request after the page had loaded, and never a POST.
    assert len(request_log.urls) == requests_after_load, request_log.urls[requests_after_load:]
    assert "POST" not in methods
    assert request_log.foreign() == []


def test_changing_an_answer_after_scoring_updates_the_result(page: Page) -> None:
    page.goto("/selfcheck/")
    data = selfcheck_data()
    answers = answer_pattern(data, 0)
    fill(page, answers)
    page.get_by_role("button", name="採点する").click()
    first_item = data["groups"][0]["items"][0]["id"]
    answers[first_item] = (
        data["choices"][-1]["id"]
        if answers[first_item] != data["choices"][-1]["id"]
        else data["choices"][0]["id"]
    )
    page.locator(f"#item-{first_item} input[value='{answers[first_item]}']").check()
    total, _, _ = expected_result(data, answers)
    expect(page.locator("#selfcheck-result [data-role=total]")).to_have_text(str(total))


def test_unanswered_items_are_pointed_out_instead_of_scored(page: Page) -> None:
    page.goto("/selfcheck/")
    data = selfcheck_data()
    answers = answer_pattern(data, 1)
    skipped = list(answers)[3:5]
    fill(page, {key: value for key, value in answers.items() if key not in skipped})
    page.get_by_role("button", name="採点する").click()
    expect(page.locator("#selfcheck-missing")).to_be_visible()
    expect(page.locator("#selfcheck-missing [data-role=missing-list] a")).to_have_count(len(skipped))
    expect(page.locator("#selfcheck-result")).to_be_hidden()
    for item_id in skipped:
        expect(page.locator(f"#item-{item_id}")).to_have_class("selfcheck-item is-missing")


def test_print_media_shows_the_result_and_answers_but_no_navigation(page: Page) -> None:
    page.goto("/selfcheck/")
    data = selfcheck_data()
    fill(page, answer_pattern(data, 2))
    page.get_by_role("button", name="採点する").click()
    page.emulate_media(media="print")
    expect(page.locator("#selfcheck-result")).to_be_visible()
    expect(page.locator("#selfcheck-result [data-role=total]")).to_be_visible()
    expect(page.locator("[data-item]").first).to_be_visible()
    expect(page.locator("input[type=radio]:checked")).to_have_count(25)
    for chrome in (".md-header", ".md-sidebar--primary", ".md-sidebar--secondary", ".md-footer"):
        expect(page.locator(chrome)).to_be_hidden()
    expect(page.locator(".selfcheck-actions")).to_be_hidden()
    # The print button really asks the browser to print.
    page.emulate_media(media="screen")
    page.evaluate("() => { window.__printed = 0; window.print = () => { window.__printed += 1; }; }")
    page.locator("#selfcheck-result [data-action=print]").click()
    assert page.evaluate("window.__printed") == 1


def test_without_javascript_the_sheet_is_a_paper_checklist(browser: Browser, live_server: str) -> None:
    context = browser.new_context(locale="ja-JP", base_url=live_server, java_script_enabled=False)
    try:
        page = context.new_page()
        requests: list[Request] = []
        page.on("request", lambda request: requests.append(request))
        page.goto("/selfcheck/", wait_until="networkidle")
        expect(page.locator(".selfcheck-noscript")).to_be_visible()
        expect(page.locator("[data-item]")).to_have_count(25)
        expect(page.get_by_role("button", name="採点する")).to_be_hidden()
        loaded = len(requests)
        page.locator("input[type=radio]").first.check()
        page.keyboard.press("Enter")  # no implicit submission: there is no visible submit button
        page.wait_for_timeout(300)
        assert len(requests) == loaded
        assert page.url.endswith("/selfcheck/")
    finally:
        context.close()


def test_help_index_links_land_on_their_sections(page: Page) -> None:
    page.goto("/help/")
    links = page.locator("nav.help-index a")
    count = links.count()
    assert count >= 10
    for n in range(count):
        target = links.nth(n).get_attribute("href")
        assert target and target.startswith("#")
        assert page.locator(target).count() == 1, target
    links.nth(4).click()
    anchor = links.nth(4).get_attribute("href")
    assert anchor is not None
    assert page.url.endswith(anchor)
    expect(page.locator(anchor)).to_be_in_viewport()


@pytest.mark.parametrize(
    "path",
    [
        "/help/",
        "/selfcheck/",
        "/privacy/",
        "/contact/",
        "/further/",
        "/further/action-plan/",
        "/further/ransomware/",
    ],
)
def test_pages_pass_axe_and_fit_a_phone(browser: Browser, live_server: str, path: str) -> None:
    context = browser.new_context(
        locale="ja-JP", base_url=live_server, viewport={"width": 360, "height": 780}
    )
    try:
        page = context.new_page()
        page.goto(path, wait_until="networkidle")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        violations = run_axe(page)
        assert violations == [], [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in violations]
    finally:
        context.close()


def test_scored_selfcheck_passes_axe(page: Page) -> None:
    page.goto("/selfcheck/")
    fill(page, answer_pattern(selfcheck_data(), 1))
    page.get_by_role("button", name="採点する").click()
    expect(page.locator("#selfcheck-result")).to_be_visible()
    violations = run_axe(page)
    assert violations == [], [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in violations]
