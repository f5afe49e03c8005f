"""The staff command as a branch clerk meets it, on SQLite and on DynamoDB (moto): ids shortened to
any unique beginning (as git takes them), `campaign` alone showing what to do next, and `--branch`
on `applications`, `feedback` and `stats`."""

from __future__ import annotations

import json
from datetime import timedelta

from campaign_core.clock import FixedClock
from campaign_core.mail.suppression import suppress
from campaign_core.records import APPLICATION
from campaign_core.settings import Settings
from campaign_core.store import Record, Store
from cli.ids import PrefixError, match_prefix
from tests.support.drill import Run, accepted_application, staff
from tests.support.servers import FaultySMTPServer


def _application(store: Store, key: str, company: str) -> None:
    store.put_new(
        APPLICATION,
        key,
        {"company": company, "status": "accepted", "applied_at": "2026-11-20T01:00:00+00:00"},
    )


def test_a_unique_beginning_of_an_id_works_wherever_an_id_does(
    run: Run, store: Store, settings: Settings, clock: FixedClock
) -> None:
    app_id = accepted_application(store, settings, clock, staff(2))
    short = app_id[:6]
    plan = run("schedule", short, "--days", "1", "--no-mail", "--json")
    assert plan.exit_code == 0, plan.output
    assert json.loads(plan.output)["application_id"] == app_id
    shown = json.loads(run("show", short, "--json").output)
    assert shown["application_id"] == app_id and shown["sent"] == 0
    # Typed in full width and upper case, as a Japanese keyboard may give it.
    full_width = short.upper().translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})
    link = run("sheet", full_width)
    assert link.exit_code == 0 and link.output.startswith("http://drill.test/t/sheet/")
    assert run("report", app_id[:4], "--format", "csv").output.startswith("\ufeff参加者")


def test_an_ambiguous_beginning_lists_the_candidates_and_an_unknown_one_says_so(
    run: Run, store: Store
) -> None:
    _application(store, "ab12" + "0" * 28, "株式会社あおば")
    _application(store, "ab34" + "0" * 28, "株式会社いずみ")
    both = run("show", "ab")
    assert both.exit_code == 1
    assert "「ab」で始まる申込 ID が 2 件あります" in both.output
    assert "ab12" + "0" * 28 + "  株式会社あおば" in both.output
    assert "ab34" + "0" * 28 + "  株式会社いずみ" in both.output
    # One more character is enough: the application is found (it has no drill yet).
    one = run("show", "ab3")
    assert (
        one.exit_code == 1 and f"申込 {'ab34' + '0' * 28} の訓練は、まだ日程が決まっていません" in one.output
    )
    none = run("schedule", "cd")
    assert none.exit_code == 1 and "「cd」で始まる申込 ID はありません" in none.output
    assert "Traceback" not in both.output + one.output + none.output


def test_match_prefix_takes_exactly_one_record() -> None:
    records = [Record(APPLICATION, key, {}, 1, None) for key in ("abc", "abd", "xyz")]
    assert match_prefix("x", records).key == "xyz"
    assert match_prefix("abd", records).key == "abd"
    for text, count in (("ab", 2), ("q", 0), ("abcd", 0)):
        try:
            match_prefix(text, records)
        except PrefixError as exc:
            assert len(exc.candidates) == count
        else:
            raise AssertionError(f"{text!r} matched")


def test_campaign_alone_shows_what_to_do_next_and_help_stays_help(
    run: Run, store: Store, settings: Settings, clock: FixedClock
) -> None:
    calm = run()
    assert calm.exit_code == 0 and "いま急いでやることはありません" in calm.output

    waiting = accepted_application(store, settings, clock, staff(1), company="株式会社まだ")
    done = accepted_application(store, settings, clock, staff(1), company="株式会社おわり")
    assert run("schedule", done, "--days", "1", "--no-mail").exit_code == 0
    later = clock.now() + timedelta(days=3)
    assert run("send-due", now=later.isoformat()).exit_code == 0
    suppress(store, "gone@example.jp", reason="bounce", detail="Permanent/General", now=later)

    overview = run(now=later.isoformat())
    assert overview.exit_code == 0, overview.output
    text = overview.output
    assert "1. 日程を決める申込 1 件" in text and f"{waiting[:8]}  株式会社まだ" in text
    assert "2. レポートを送る訓練 1 件" in text and f"{done[:8]}  株式会社おわり" in text
    assert "12-14 まで" in text  # two weeks after the last day of the window
    assert "3. 最近届かなかった・苦情のあったアドレス 1 件" in text and "gone@example.jp" in text
    # Once the report went out, that drill leaves the list.
    assert run("report", done[:8], "--send", "--output", "-", now=later.isoformat()).exit_code == 0
    assert "レポートを送る訓練" not in run(now=later.isoformat()).output

    helped = run("--help")
    assert helped.exit_code == 0 and helped.output.startswith("使い方: ") and "いまやること" in helped.output
    assert "1. 日程を決める申込" not in helped.output


def test_applications_by_branch_follow_the_chamber_or_else_the_prefecture(
    run: Run, store: Store, settings: Settings, clock: FixedClock
) -> None:
    sapporo = accepted_application(store, settings, clock, staff(1))  # 札幌商工会議所, in Tokyo
    yokohama = accepted_application(store, settings, clock, staff(1), chamber="横浜商工会議所")
    # A chamber not in the list: the branch of the company's prefecture.
    free = accepted_application(
        store, settings, clock, staff(1), chamber="どこかの会", prefecture="北海道", postal_code="060-0001"
    )

    def ids(*args: str) -> set[str]:
        result = run("applications", "--json", *args)
        assert result.exit_code == 0, result.output
        return {row["id"] for row in json.loads(result.output)}

    assert ids("--branch", "hokkaido") == {sapporo, free}
    assert ids("--branch", "関東支部") == {yokohama}
    assert ids("--branch", "kinki") == set()
    unknown = run("applications", "--branch", "atlantis")
    assert (
        unknown.exit_code == 1 and "「atlantis」という支部" in unknown.output and "hokkaido" in unknown.output
    )
    table = run("applications", "--branch", "hokkaido").output
    assert "訓練の申込(2 件)" in table and "日程待ち" in table


def test_feedback_for_a_branch_is_signed_by_it_and_replies_go_to_it(
    run: Run, store: Store, settings: Settings, clock: FixedClock, smtp: FaultySMTPServer
) -> None:
    sapporo = accepted_application(store, settings, clock, staff(2), company="株式会社札幌")
    sendai = accepted_application(
        store, settings, clock, staff(1), company="株式会社仙台", chamber="仙台商工会議所"
    )
    for app_id in (sapporo, sendai):
        assert run("schedule", app_id, "--days", "1", "--no-mail").exit_code == 0
    later = (clock.now() + timedelta(days=3)).isoformat()
    assert run("send-due", now=later).exit_code == 0
    smtp.handler.received.clear()

    summary = run("feedback", "--branch", "tohoku", now=later)
    assert summary.exit_code == 0, summary.output
    assert "東北支部が受け持つ商工会議所" in summary.output
    assert "仙台商工会議所" in summary.output and "盛岡商工会議所" in summary.output
    assert smtp.received == []
    sent = run("feedback", "--branch", "tohoku", "--send", now=later)
    assert sent.exit_code == 0, sent.output
    (mail,) = smtp.received  # Morioka had no company: no mail
    assert mail.rcpt_tos == ["security-campaign@sendai.cci.example.jp"]
    assert mail.message["Reply-To"] == "tohoku@branch.example.jp"
    body = mail.message.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "ユーザ協会 東北支部" in text and "tohoku@branch.example.jp" in text and "022-000-0000" in text

    page = run("feedback", "sendai", "--branch", "tohoku", now=later)
    assert page.exit_code == 0 and "株式会社仙台" in page.output
    assert (
        "この一覧についてのお問い合わせ: 東北支部" in page.output
        and "mailto:tohoku@branch.example.jp" in page.output
    )
    wrong = run("feedback", "sapporo", "--branch", "tohoku", now=later)
    assert wrong.exit_code == 1 and "札幌商工会議所 は支部「tohoku」の受け持ちではありません" in wrong.output
    assert run("feedback", now=later).exit_code == 2


def test_stats_for_a_branch_count_only_its_companies(
    run: Run, store: Store, settings: Settings, clock: FixedClock, tmp_path: object
) -> None:
    for _ in range(2):
        accepted_application(store, settings, clock, staff(1))
    accepted_application(store, settings, clock, staff(1), chamber="横浜商工会議所")
    out = f"{tmp_path}/stats.html"
    everything = run("stats", "--out", out)
    assert everything.exit_code == 0, everything.output
    assert "訓練 3 件" in everything.output
    hokkaido = run("stats", "--branch", "hokkaido", "--out", out)
    assert "訓練 2 件" in hokkaido.output
    assert "訓練 1 件" in run("stats", "--branch", "kanto", "--out", out).output
    assert run("stats", "--branch", "nowhere", "--out", out).exit_code == 1
