"""The allow-listing guide (`GET /t/allowlist/`): what an officer's mail administrator must let
through, from the settings this deployment runs with, in the site's layout, in Japanese."""

from __future__ import annotations

import html
import re

import pytest

from campaign_core.clock import FixedClock
from campaign_core.mail import OutboxMailer
from campaign_core.settings import DeliverySettings, SendSettings, Settings
from campaign_core.store import Store
from drill_sender.app import create_app

SQLITE = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _guide(settings: Settings, store: Store, clock: FixedClock) -> str:
    app = create_app(settings, store=store, mailer=OutboxMailer(settings.outbox_dir), clock=clock)
    response = app.test_client().get("/t/allowlist/")
    assert response.status_code == 200 and response.mimetype == "text/html"
    return html.unescape(response.get_data(as_text=True))


def _row(page: str, heading: str) -> str:
    found = re.search(rf"<th scope=\"row\">{re.escape(heading)}</th><td>(.*?)</td>", page)
    assert found, heading
    return re.sub(r"<[^>]+>", "", found.group(1))


@SQLITE
def test_the_guide_shows_this_deployments_domains_hosts_and_addresses(
    settings: Settings, store: Store, clock: FixedClock
) -> None:
    deployed = settings.with_overrides(
        base_url="https://kunren.example.jp",
        mail_backend="ses",
        mail_from="事務局 <info@campaign.example.jp>",
        send=SendSettings(
            drill_domain="notice-mail.example.net", report_address="hokoku@notice-mail.example.net"
        ),
        delivery=DeliverySettings(
            mail_from_domain="bounce.notice-mail.example.net", sending_ips=("192.0.2.10",)
        ),
    )
    page = _guide(deployed, store, clock)
    assert "<title>訓練メールを受け取るための設定" in page
    assert _row(page, "訓練メールの差出人ドメイン") == "notice-mail.example.net"
    assert "campaign.example.jp" in _row(
        page, "事務局からのメール(申し込みの確認・日程・レポート)の差出人ドメイン"
    )
    # SES's Easy DKIM signs with each sender's own domain.
    assert _row(page, "DKIM 署名のドメイン(d=)") == "notice-mail.example.net、campaign.example.jp"
    assert (
        _row(page, "エンベロープの差出人(MAIL FROM、Return-Path)のドメイン")
        == "bounce.notice-mail.example.net"
    )
    assert _row(page, "送信元の IP アドレス") == "192.0.2.10"
    assert _row(page, "リンクと開封記録の画像のホスト") == "kunren.example.jp"
    assert _row(page, "シミュレーション URL(リンクの形)") == "kunren.example.jp/t/*"
    assert _row(page, "報告用アドレス(参加者が訓練メールを転送する先)") == "hokoku@notice-mail.example.net"
    for heading in (
        "Microsoft 365",
        "Exchange Online",
        "Google Workspace",
        "ゲートウェイ",
        "わからなくなること",
    ):
        assert heading in page
    assert "フィッシング シミュレーション" in page and "SCL" in page
    assert "header.d=" not in page  # with known IPs the mail-flow rule uses them


@SQLITE
def test_without_fixed_ips_the_guide_says_so_and_falls_back_to_dkim(
    settings: Settings, store: Store, clock: FixedClock
) -> None:
    page = _guide(settings.with_overrides(mail_backend="ses"), store, clock)
    assert "決まっていません" in _row(page, "送信元の IP アドレス")
    assert "amazonses.com" in _row(page, "エンベロープの差出人(MAIL FROM、Return-Path)のドメイン")
    assert "header.d=drill.example.jp" in page
    assert "事務局にお問い合わせください" in page
