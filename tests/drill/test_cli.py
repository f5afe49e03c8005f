"""The staff command `campaign`, run as staff run it (click's runner, settings from the
environment), on SQLite and on DynamoDB (moto), sending to a real SMTP server."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from datetime import timedelta
from pathlib import Path

import boto3
import click
import pytest
from pypdf import PdfReader

from campaign_core.clock import FixedClock
from campaign_core.mail.suppression import suppress
from campaign_core.records import MESSAGE
from campaign_core.settings import Settings
from campaign_core.store import Store
from campaign_core.tokens import Signer, TokenError
from cli.main import cli
from drill_sender.services.checksheet import SHEET_PURPOSE
from form_lambda.services.common import maintenance_message
from tests.support import TEST_SECRET
from tests.support.drill import Run, accepted_application, staff
from tests.support.servers import MOTO_CREDENTIALS, FaultySMTPServer, MotoServer

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
CLICK_ENGLISH = ("Usage:", "Options:", "Commands:", "Show this message", "[default:", "Error:", "Try '")


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_explains_itself_in_japanese(run: Run, command: str) -> None:
    result = run(command, "--help")
    assert result.exit_code == 0
    assert result.output.startswith(f"使い方: cli {command} [オプション]")
    assert "オプション:" in result.output and "この説明を表示します。" in result.output
    assert not [word for word in CLICK_ENGLISH if word in result.output]
    assert len(result.output.splitlines()) > 6
    # Every option says what it does in Japanese (its name and values stay English).
    for param in cli.commands[command].params:
        if isinstance(param, click.Option) and param.help:
            assert JAPANESE.search(param.help), (command, param.name, param.help)


def test_the_group_help_is_japanese_and_lists_every_command(run: Run) -> None:
    result = run("--help")
    assert result.exit_code == 0 and result.output.startswith("使い方: cli [オプション] [コマンド] [引数]...")
    assert "コマンド:" in result.output and not [w for w in CLICK_ENGLISH if w in result.output]
    for name, command in cli.commands.items():
        line = next(line for line in result.output.splitlines() if line.strip().startswith(name + " "))
        assert JAPANESE.search(line), line
        assert command.help and JAPANESE.search(command.help)


def test_applications_lists_and_filters(
    run: Run, store: Store, settings: Settings, clock: FixedClock
) -> None:
    accepted = accepted_application(store, settings, clock, staff(2))
    pending = accepted_application(
        store, settings, clock, staff(1), officer_confirms=False, chamber="横浜商工会議所"
    )

    everything = json.loads(run("applications", "--json").output)
    assert {row["id"] for row in everything} == {accepted, pending}
    only_accepted = json.loads(run("applications", "--status", "accepted", "--json").output)
    assert [row["id"] for row in only_accepted] == [accepted]
    assert only_accepted[0]["confirmed_participants"] == 2
    in_yokohama = json.loads(run("applications", "--chamber", "横浜商工会議所", "--json").output)
    assert [row["id"] for row in in_yokohama] == [pending]
    # An unconfirmed application counts as expired once its confirmation deadline passed.
    later = (clock.now() + timedelta(days=4)).isoformat()
    expired = json.loads(run("applications", "--status", "expired", "--json", now=later).output)
    assert [row["id"] for row in expired] == [pending]
    table = run("applications")
    assert table.exit_code == 0 and accepted in table.output


def test_schedule_send_due_and_show_through_the_command(
    run: Run, store: Store, settings: Settings, clock: FixedClock, smtp: FaultySMTPServer
) -> None:
    app_id = accepted_application(store, settings, clock, [*staff(3), "jiro@partner.example.com"])

    scheduled = run(
        "schedule",
        app_id,
        "--start",
        "2026-12-01",
        "--days",
        "2",
        "--month",
        "2027-01",
        "--variant",
        "subtle",
        "--json",
    )
    assert scheduled.exit_code == 0, scheduled.output
    plan = json.loads(scheduled.output)
    assert plan["template"] == "01-subtle" and len(plan["messages"]) == 3
    assert plan["refused"] == ["jiro@partner.example.com"]
    # The officer got the window and their check sheet link (not the send times).
    (notice,) = smtp.received
    assert notice.rcpt_tos == ["taro@test-corp.example.jp"]
    text = notice.message.get_body(("plain",))
    assert text is not None and plan["check_sheet_url"] in text.get_content()
    assert "12月1日(火)" in text.get_content() and "12月2日(水)" in text.get_content()
    smtp.handler.received.clear()

    before = run("send-due", "--dry-run", now="2026-12-01T08:00:00+09:00")
    assert before.exit_code == 0 and "いま送るものはありません" in before.output
    due = run("send-due", "--dry-run", now="2026-12-03T09:00:00+09:00")
    assert "送信予定 3 通" in due.output and smtp.received == []
    assert run("sheet", app_id).output.strip().startswith("http://drill.test/t/sheet/")

    sent = run("send-due", now="2026-12-03T09:00:00+09:00")
    assert sent.exit_code == 0 and "送信 3 通" in sent.output
    again = run("send-due", now="2026-12-03T09:01:00+09:00")
    assert again.exit_code == 0 and "いま送るものはありません" in again.output
    assert smtp.recipients() == staff(3)

    shown = json.loads(run("show", app_id, "--json").output)
    assert (shown["sent"], shown["opened"], shown["clicked"]) == (3, 0, 0)
    assert {p["state"] for p in shown["participants"]} == {"sent"}
    assert run("show", app_id).exit_code == 0


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (("schedule", "f" * 32), 1, "「ffffffffffffffffffffffffffffffff」で始まる申込 ID はありません"),
        (("schedule", "x", "--month", "2026-13"), 2, "エラー: --month の値が使えません: 2026-12 のように"),
        (("schedule", "x", "--variant", "scary"), 2, "「scary」は選べません。obvious、subtle のどれか"),
        (("schedule", "x", "--start", "1 December"), 2, "「1 December」は日付として読めません"),
        (("schedule", "x", "--days", "0"), 2, "「0」は使えません。1〜20 の数にしてください"),
        (("schedule", "x", "--days"), 2, "エラー: --days のあとに値を書いてください。"),
        (("schedule",), 2, "エラー: 申込ID を指定してください。"),
        (("show", "f" * 32), 1, "で始まる申込 ID はありません"),
        (("maintenance", "off", "--message", "x"), 2, "--message は on と一緒にだけ使えます"),
        (("send-due", "--bogus"), 2, "エラー: --bogus というオプションはありません。"),
        (("send-due", "--dry"), 2, "もしかして: --dry-run"),
        (("sendd-due",), 2, "「sendd-due」というコマンドはありません。"),
        (("show", "x", "y"), 2, "余分な引数があります: y"),
    ],
)
def test_wrong_input_gets_a_clear_error_and_exit_code(
    run: Run, store: Store, args: tuple[str, ...], code: int, says: str
) -> None:
    # (`store` creates the DynamoDB table: the command must find an empty store, not none.)
    result = run(*args)
    assert result.exit_code == code
    said = result.output + (result.stderr if result.stderr_bytes else "")
    assert says in said
    assert not [word for word in CLICK_ENGLISH if word in said]
    if code == 2 and "--days のあと" not in says:  # a usage error shows the usage line and where help is
        assert "使い方: cli " in said and "--help」で表示できます" in said


def test_schedule_twice_and_unconfirmed_applications_are_refused(
    run: Run, store: Store, settings: Settings, clock: FixedClock
) -> None:
    app_id = accepted_application(store, settings, clock, staff(1))
    assert run("schedule", app_id).exit_code == 0
    twice = run("schedule", app_id)
    assert (
        twice.exit_code == 1
        and "もう日程が決まっています" in twice.output
        and "already_scheduled" in twice.output
    )
    nobody_new = run("schedule", app_id, "--late")
    assert (
        nobody_new.exit_code == 1 and "追加する人はいません。(理由コード: nothing_new)" in nobody_new.output
    )
    pending = accepted_application(store, settings, clock, staff(1), officer_confirms=False)
    refused = run("schedule", pending)
    assert refused.exit_code == 1 and "責任者の確認がまだ済んでいない申込です" in refused.output
    assert len(store.query(MESSAGE)) == 1


def test_send_due_exits_1_when_a_mail_fails_for_good(
    run: Run, store: Store, settings: Settings, clock: FixedClock
) -> None:
    app_id = accepted_application(store, settings, clock, ["reject-me@test-corp.example.jp"])
    assert run("schedule", app_id, "--days", "1").exit_code == 0
    result = run("send-due", now=(clock.now() + timedelta(days=2)).isoformat())
    assert result.exit_code == 1 and "失敗 1 通" in result.output and "550" in result.output


def test_maintenance_switch_pauses_and_resumes_the_forms(run: Run, store: Store, settings: Settings) -> None:
    on = run("maintenance", "on", "--message", "点検のため、12月5日まで受付を止めています。")
    assert on.exit_code == 0
    assert maintenance_message(store, settings) == "点検のため、12月5日まで受付を止めています。"
    assert "受付を止めています" in run("maintenance", "status").output
    assert run("maintenance", "off").exit_code == 0
    assert maintenance_message(store, settings) is None


def test_a_malformed_campaign_now_is_a_usage_error(run: Run) -> None:
    result = run("send-due", now="next tuesday")
    assert result.exit_code == 2 and "CAMPAIGN_NOW の日時が読めません" in result.output


def test_report_writes_html_or_csv_and_mails_the_officer_a_link(
    run: Run, store: Store, settings: Settings, clock: FixedClock, smtp: FaultySMTPServer, tmp_path: Path
) -> None:
    app_id = accepted_application(store, settings, clock, staff(2))
    assert run("schedule", app_id, "--days", "1", "--no-mail").exit_code == 0
    later = (clock.now() + timedelta(days=2)).isoformat()
    assert run("send-due", now=later).exit_code == 0
    smtp.handler.received.clear()

    html_file, csv_file = tmp_path / "report.html", tmp_path / "report.csv"
    assert run("report", app_id, "--output", str(html_file), now=later).exit_code == 0
    assert "訓練結果レポート" in html_file.read_text(encoding="utf-8")
    written = run("report", app_id, "--format", "csv", "--output", str(csv_file), now=later)
    assert written.exit_code == 0 and "報告 0/2 人" in written.output
    assert csv_file.read_bytes().startswith(
        b"\xef\xbb\xbf\xe5\x8f\x82\xe5\x8a\xa0\xe8\x80\x85"
    )  # BOM + 参加者
    assert smtp.received == []
    # The PDF to print and post: A4 sheets whose Japanese text reads back, the addresses included.
    pdf_file = tmp_path / "report.pdf"
    assert run("report", app_id, "--format", "pdf", "--output", str(pdf_file), now=later).exit_code == 0
    reader = PdfReader(pdf_file)
    assert all(
        round(float(p.mediabox.width)) == 595 and round(float(p.mediabox.height)) == 842 for p in reader.pages
    )
    text = "".join(page.extract_text() for page in reader.pages)
    for words in (
        "訓練結果レポート",
        "報告した人の割合",
        "開封の記録について",
        "staff1@test-corp.example.jp",
    ):
        assert words in text

    (row,) = json.loads(run("applications", "--json", now=later).output)
    # The campaign's target: the report within two weeks of the last day of the window.
    assert row["report_due"] == "2026-12-14T08:00:00+00:00" and row["report_sent_at"] is None
    sent = run("report", app_id, "--send", "--output", str(html_file), now=later)
    assert sent.exit_code == 0
    (row,) = json.loads(run("applications", "--json", now=later).output)
    assert row["report_sent_at"] == later
    (notice,) = smtp.received
    assert notice.rcpt_tos == ["taro@test-corp.example.jp"]
    body = notice.message.get_body(("plain",))
    assert body is not None and "http://drill.test/t/report/" in body.get_content()
    # A non-member's report and its mail offer membership, and the drill says the offer was made.
    assert "http://drill.test/membership/" in body.get_content()
    assert 'href="http://drill.test/membership/"' in html_file.read_text(encoding="utf-8")
    assert store.get("drill", app_id).data["membership_offered_at"] == later  # type: ignore[union-attr]
    assert run("report", "f" * 32).exit_code == 1


def test_feedback_lists_the_chambers_companies_that_took_part(
    run: Run, store: Store, settings: Settings, clock: FixedClock, smtp: FaultySMTPServer, tmp_path: Path
) -> None:
    done = accepted_application(store, settings, clock, staff(3), company="株式会社完了", member="member")
    running = accepted_application(store, settings, clock, staff(2), company="株式会社途中")
    accepted_application(store, settings, clock, staff(2), company="株式会社未定")  # never scheduled
    other = accepted_application(
        store, settings, clock, staff(1), company="株式会社よそ", chamber="横浜商工会議所"
    )
    assert run("schedule", done, "--start", "2026-11-30", "--days", "1", "--no-mail").exit_code == 0
    assert run("schedule", running, "--start", "2026-12-14", "--days", "1", "--no-mail").exit_code == 0
    assert run("schedule", other, "--start", "2026-11-30", "--days", "1", "--no-mail").exit_code == 0
    assert run("send-due", now="2026-12-01T09:00:00+09:00").exit_code == 0

    out = tmp_path / "feedback.csv"
    result = run(
        "feedback", "sapporo", "--format", "csv", "--output", str(out), now="2026-12-01T10:00:00+09:00"
    )
    assert result.exit_code == 0 and "会社 2 社" in result.output
    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert rows[0] == ["会社名", "事業所名", "都道府県", "会員", "訓練開始日", "参加人数", "状況"]
    assert rows[1] == ["株式会社完了", "", "東京都", "会員", "2026-11-30", "3", "完了"]
    assert rows[2] == ["株式会社途中", "", "東京都", "非会員", "2026-12-14", "0", "実施中"]
    # The period picks drills by their start day; the chamber's name works as well as its code.
    early = run("feedback", "札幌商工会議所", "--format", "csv", "--to", "2026-12-01")
    assert "株式会社完了" in early.output and "株式会社途中" not in early.output
    html = run("feedback", "sapporo", "--from", "2026-12-02").output
    assert "株式会社途中" in html and "株式会社完了" not in html and "<table>" in html

    sent = run("feedback", "sapporo", "--send", "--output", str(tmp_path / "f.html"))
    assert sent.exit_code == 0
    (mail,) = [m for m in smtp.received if m.rcpt_tos == ["security-campaign@sapporo.cci.example.jp"]]
    attachment = next(mail.message.iter_attachments())
    assert attachment.get_filename() == "drill-feedback-sapporo.csv"
    assert "株式会社完了" in attachment.get_payload(decode=True).decode("utf-8-sig")
    assert run("feedback", "atlantis").exit_code == 1
    assert run("feedback", "sapporo", "--from", "2026-12-02", "--to", "2026-12-01").exit_code == 2


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_suppressed_lists_the_addresses_no_mail_goes_to(run: Run, store: Store, clock: FixedClock) -> None:
    assert run("suppressed").output.strip() == "送信を止めたアドレスはありません。"
    assert json.loads(run("suppressed", "--json").output) == []
    suppress(store, "Gone@Example.jp", reason="bounce", detail="Permanent/General", now=clock.now())
    clock.advance(timedelta(days=1))
    suppress(store, "angry@example.jp", reason="complaint", detail="abuse", now=clock.now())
    clock.advance(timedelta(hours=1))
    suppress(store, "gone@example.jp", reason="bounce", detail="Permanent/NoEmail", now=clock.now())

    rows = json.loads(run("suppressed", "--json").output)
    assert [(r["email"], r["reason"], r["events"]) for r in rows] == [
        ("gone@example.jp", "bounce", 2),  # newest event first; repeats counted, not listed twice
        ("angry@example.jp", "complaint", 1),
    ]
    table = run("suppressed").output
    assert "送信を止めたアドレス(2 件)" in table
    assert "gone@example.jp" in table and "Permanent/NoEmail" in table and "苦情" in table


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_on_sqlite_the_command_never_asks_aws_for_the_key(run: Run) -> None:
    # A parameter name but no AWS at all (no endpoint, no credentials): the local key is used.
    result = run("applications", "--json", CAMPAIGN_SECRET_KEY="", CAMPAIGN_SECRET_PARAMETER="/nowhere/key")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == []


@pytest.mark.parametrize("backend", ["dynamodb"], indirect=True)
def test_on_dynamodb_links_are_signed_with_the_functions_key_from_ssm(
    run: Run, store: Store, settings: Settings, clock: FixedClock, moto: MotoServer
) -> None:
    application_id = accepted_application(store, settings, clock, staff(1))
    assert run("schedule", application_id, "--start", "2026-11-30", "--days", "1", "--no-mail").exit_code == 0
    parameter = f"/security-drill/cli-{uuid.uuid4().hex[:8]}/secret-key"
    functions_key = uuid.uuid4().hex + uuid.uuid4().hex
    boto3.client("ssm", endpoint_url=moto.endpoint, **MOTO_CREDENTIALS).put_parameter(
        Name=parameter, Type="SecureString", Value=functions_key
    )

    result = run("sheet", application_id, CAMPAIGN_SECRET_KEY="", CAMPAIGN_SECRET_PARAMETER=parameter)
    assert result.exit_code == 0, result.output
    token = result.output.strip().rsplit("/", 1)[-1]
    signed_by = Signer(functions_key, clock)
    assert signed_by.unsign(SHEET_PURPOSE, token, max_age=timedelta(days=1)) == {"a": application_id}
    with pytest.raises(TokenError):
        Signer(TEST_SECRET, clock).unsign(SHEET_PURPOSE, token, max_age=timedelta(days=1))

    missing = run("sheet", application_id, CAMPAIGN_SECRET_KEY="", CAMPAIGN_SECRET_PARAMETER=parameter + "-x")
    assert missing.exit_code == 1
    assert "署名用の鍵を SSM パラメータ" in missing.output
    assert (
        run("sheet", "--help", CAMPAIGN_SECRET_PARAMETER=parameter + "-x").exit_code == 0
    )  # no AWS for help


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_setting_that_does_not_parse_stops_the_command_naming_it(run: Run) -> None:
    result = run("applications", "--json", CAMPAIGN_SEND_RATE="fast")
    assert result.exit_code == 1
    assert "CAMPAIGN_SEND_RATE must be a number, got 'fast'" in result.output
    assert "Traceback" not in result.output
