"""The three forms in a real Chromium: with JavaScript on and off, the error re-render keeps every
value, ?ref= pre-selects the chamber, success pages say what happens next, mail lands in the outbox."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from campaign_core.settings import FormSettings
from tests.support.browser import AXE_JS, LocalServer, RequestLog, local_server
from tests.support.forms import text_of

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def forms_server(built_site: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """The local app (site + forms) on its own port, with an outbox this module can read."""
    no_limits = FormSettings(rate_limit_client=None, rate_limit_email=None)
    with local_server(built_site, tmp_path_factory.mktemp("forms-var"), forms=no_limits) as server:
        yield server


def new_page(browser: Browser, server: LocalServer, *, js: bool, width: int = 1280) -> Page:
    context = browser.new_context(
        locale="ja-JP", base_url=server.url, java_script_enabled=js, viewport={"width": width, "height": 900}
    )
    return context.new_page()


def press_mailed_link(page: Page, server: LocalServer, address: str, path: str, heading: str) -> None:
    """Open the link to `path` in the one mail to `address` so far and press the page's button;
    the answer's heading is `heading`."""
    [mail] = server.outbox.to(address)
    link = re.search(rf"http://127\.0\.0\.1:\d+{path}\S+", text_of(mail))
    assert link is not None
    page.goto(link.group(0))
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text(heading)


def fill_drill(page: Page, *, officer: str, company: str, with_postal_js: bool) -> None:
    page.fill("#f-company", company)
    page.fill("#f-postal_code", "〒１００ー０００１")
    if with_postal_js:
        # The script fills prefecture and address from the postal code (offline data, our own API).
        expect(page.locator("#f-prefecture")).to_have_value("東京都")
        expect(page.locator("#f-address")).to_have_value("千代田区千代田")
        page.fill("#f-address", "千代田区千代田１丁目２番３号")
    else:
        page.select_option("#f-prefecture", "東京都")
        page.fill("#f-address", "千代田区千代田1-2-3")
    page.fill("#f-phone", "03-1234-5678")
    page.select_option("#f-industry", "retail")
    page.select_option("#f-employees", "21-50")
    page.check("input[name=member][value=member]")
    page.fill("#f-officer_name", "山田 太郎")
    page.fill("#f-officer_email", officer)
    page.fill("#f-participants", f"staff1@{officer.split('@')[1]}\nstaff2@{officer.split('@')[1]}")
    page.check("#f-consent")


def axe_violations(page: Page) -> list[str]:
    page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate(
        "async () => (await axe.run(document)).violations.map(v => v.id + ': ' + v.nodes.length)"
    )
    return list(result)


@pytest.mark.parametrize("js", [True, False], ids=["js-on", "js-off"])
def test_drill_application_end_to_end(browser: Browser, forms_server: LocalServer, js: bool) -> None:
    page = new_page(browser, forms_server, js=js)
    log = RequestLog(own_origin=forms_server.url)
    page.on("request", log.record)
    officer = f"officer@{'js' if js else 'nojs'}.example.jp"
    page.goto("/apply/drill/")
    fill_drill(page, officer=officer, company=f"株式会社ブラウザ{js}", with_postal_js=js)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("確認メールをお送りしました")
    expect(page.locator("article")).to_contain_text(officer)
    # The officer opens the link and presses the button.
    press_mailed_link(page, forms_server, officer, "/api/drill/confirm", "お申し込みが確定しました")
    expect(page.locator("article a[href='/officers/']")).to_be_visible()
    accepted = forms_server.outbox.to(officer)[-1]
    assert "確定しました" in str(accepted["Subject"])
    assert log.foreign() == []


@pytest.mark.parametrize("js", [True, False], ids=["js-on", "js-off"])
def test_error_re_render_keeps_values_and_links_to_fields(
    browser: Browser, forms_server: LocalServer, js: bool
) -> None:
    page = new_page(browser, forms_server, js=js, width=360)
    page.goto("/apply/drill/")
    fill_drill(page, officer="taro@errors.example.jp", company="㈱エラー確認", with_postal_js=False)
    page.fill("#f-postal_code", "123")
    page.fill("#f-participants", "ok@errors.example.jp\nnot an address")
    page.uncheck("#f-consent")
    page.uncheck("#f-reveal")
    page.check("input[name=variant][value=subtle]")
    page.click("button[type=submit]")
    summary = page.locator("#cf-error-summary")
    expect(summary).to_be_visible()
    expect(summary.locator("a")).to_have_count(3)
    # Every value is still there, including the unchecked boxes and the chosen options.
    expect(page.locator("#f-company")).to_have_value("㈱エラー確認")
    expect(page.locator("#f-postal_code")).to_have_value("123")
    expect(page.locator("#f-prefecture")).to_have_value("東京都")
    expect(page.locator("#f-employees")).to_have_value("21-50")
    expect(page.locator("#f-participants")).to_have_value("ok@errors.example.jp\nnot an address")
    expect(page.locator("input[name=member][value=member]")).to_be_checked()
    expect(page.locator("#f-reveal")).not_to_be_checked()
    expect(page.locator("#f-followup")).to_be_checked()
    expect(page.locator("input[name=variant][value=subtle]")).to_be_checked()
    expect(page.locator("#f-postal_code")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-postal_code-error")).to_contain_text("7桁")
    # The summary's link moves to the field; the page fits a 360 px phone.
    summary.locator("a[href='#f-participants']").click()
    assert page.evaluate("location.hash") == "#f-participants"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    if js:  # axe is a script: it runs only where scripts do
        assert axe_violations(page) == []
    assert forms_server.outbox.to("taro@errors.example.jp") == []


def test_ref_from_a_banner_pre_selects_the_chamber(browser: Browser, forms_server: LocalServer) -> None:
    page = new_page(browser, forms_server, js=True)
    page.goto("/apply/drill/?ref=sendai")
    expect(page.locator("#f-chamber")).to_have_value("仙台商工会議所")
    # A ref that arrived on another page is carried to the forms too.
    page = new_page(browser, forms_server, js=True)
    page.goto("/?ref=sapporo")
    page.goto("/apply/seminar/")
    expect(page.locator("#f-chamber")).to_have_value("札幌商工会議所")


@pytest.mark.parametrize("js", [True, False], ids=["js-on", "js-off"])
def test_seminar_signup_for_a_live_session(browser: Browser, forms_server: LocalServer, js: bool) -> None:
    page = new_page(browser, forms_server, js=js)
    address = f"viewer-{js}@seminar.example.jp"
    page.goto("/apply/seminar/?session=live-2026-12")
    if js:
        expect(page.locator("#f-session_id")).to_have_value("live-2026-12")
    else:
        page.select_option("#f-session_id", "live-2026-12")
    page.fill("#f-company", "テスト商店")
    page.fill("#f-name", "佐藤 花子")
    page.fill("#f-email", address)
    page.select_option("#f-prefecture", "宮城県")
    page.fill("#f-chamber", "仙台商工会議所")
    page.check("input[name=member][value=unknown]")
    page.check("#f-consent")
    page.click("button[type=submit]")
    # A Zoom seat waits for the address to confirm: the link, then the button.
    expect(page.locator("h1")).to_have_text("確認メールをお送りしました")
    press_mailed_link(
        page, forms_server, address, "/api/seminar/confirm", "セミナーのお申し込みを受け付けました"
    )
    mail = forms_server.outbox.to(address)[-1]
    assert "zoom.example.jp" in text_of(mail)
    assert [a.get_filename() for a in mail.iter_attachments()] == ["seminar.ics"]


@pytest.mark.parametrize("js", [True, False], ids=["js-on", "js-off"])
def test_oneshot_request(browser: Browser, forms_server: LocalServer, js: bool) -> None:
    page = new_page(browser, forms_server, js=js)
    address = f"oneshot-{js}@corp.example.jp"
    page.goto("/apply/oneshot/")
    page.fill("#f-email", address)
    page.fill("#f-company", "ワンショット株式会社")
    page.check("#f-consent")
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("確認メールをお送りしました")
    [mail] = forms_server.outbox.to(address)
    assert "/api/oneshot/confirm?token=" in text_of(mail)


@pytest.mark.parametrize("form", ["drill", "seminar", "oneshot"])
def test_form_pages_pass_axe_and_fit_a_phone(browser: Browser, forms_server: LocalServer, form: str) -> None:
    page = new_page(browser, forms_server, js=True, width=360)
    page.goto(f"/apply/{form}/", wait_until="networkidle")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert axe_violations(page) == []


def test_script_hints_at_a_malformed_address_before_sending(
    browser: Browser, forms_server: LocalServer
) -> None:
    page = new_page(browser, forms_server, js=True)
    page.goto("/apply/oneshot/")
    page.fill("#f-email", "taro@example")
    page.locator("#f-company").focus()
    expect(page.locator("#f-email-early")).to_contain_text("形式")
    expect(page.locator("#f-email")).to_have_attribute("aria-invalid", "true")
    assert axe_violations(page) == []
    # Full-width input is fine: the hint goes away once the address is complete.
    page.fill("#f-email", "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ")
    page.locator("#f-company").focus()
    expect(page.locator("#f-email-early")).to_have_count(0)
    expect(page.locator("#f-email")).not_to_have_attribute("aria-invalid", "true")
