"""Tracking over HTTP: the open pixel, the click redirect, bad tokens, and machine traffic kept out
of the human counts; on SQLite and on DynamoDB (moto), with mails sent to a real SMTP server."""

from __future__ import annotations

import csv
import io
import re
import smtplib
from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient

from campaign_core.clock import JST, FixedClock, parse_iso
from campaign_core.deps import Deps
from campaign_core.records import CHECK, EVENT, MESSAGE
from campaign_core.settings import Settings
from campaign_core.store import Store
from campaign_core.tokens import Signer
from drill_sender.app import create_app
from drill_sender.services.checksheet import sheet_url
from drill_sender.services.report import build_report, render_csv, render_html, report_url
from drill_sender.services.schedule import schedule
from drill_sender.services.send import send_due
from drill_sender.services.tracking import activity
from drill_sender.templates import TRACK_PURPOSE, tracking_token
from tests.support import TEST_SECRET
from tests.support.drill import (
    BROWSER,
    OFFICE_ADDRESS,
    ONESHOT_ADDRESS,
    REPORT_TO,
    ReportInbox,
    SentDrill,
    accepted_application,
    get,
    staff,
    tracking_paths,
)


def test_open_pixel_is_an_uncached_gif_and_records_time_agent_and_address(
    client: FlaskClient, sent: Callable[..., SentDrill], deps: Deps, clock: FixedClock, store: Store
) -> None:
    drill = sent()
    pixel, _ = drill.links[staff(1)[0]]
    clock.advance(timedelta(minutes=30))

    response = get(client, pixel)

    assert response.status_code == 200
    assert response.mimetype == "image/gif" and response.data.startswith(b"GIF89a")
    assert "no-store" in response.headers["Cache-Control"]
    (event,) = store.query(EVENT)
    assert event.data["type"] == "open"
    assert event.data["user_agent"] == BROWSER and event.data["client"] == OFFICE_ADDRESS
    assert event.data["at"] == clock.now().isoformat()
    counts = activity(deps, drill.application_id)
    assert (counts.sent, counts.opened, counts.clicked) == (3, 1, 0)


def test_click_is_recorded_and_lands_only_on_our_learning_page(
    client: FlaskClient, sent: Callable[..., SentDrill], deps: Deps, clock: FixedClock
) -> None:
    drill = sent()
    _, clicks = drill.links[staff(2)[1]]
    clock.advance(timedelta(minutes=30))

    response = get(client, clicks[0])
    assert response.status_code == 302
    landing = response.headers["Location"]
    assert landing.startswith("/t/learn/")  # the page of this very mail, tests/drill/test_learn_page.py

    # Whatever the query says, the click goes to the same page of ours.
    token_path = clicks[0].split("?")[0]
    for query in ("?l=https://evil.example/", "?next=https://evil.example/", "?l=//evil.example"):
        answer = get(client, token_path + query, address="192.0.2.1")
        assert answer.headers["Location"].startswith("/t/learn/")
        assert urlsplit(answer.headers["Location"]).netloc == ""
    counts = activity(deps, drill.application_id)
    assert (counts.opened, counts.clicked) == (1, 1)  # a click is an open too


def _bad_tokens(good: str, clock: FixedClock) -> dict[str, str]:
    message_key = Signer(TEST_SECRET, clock).unsign(TRACK_PURPOSE, good, max_age=timedelta(days=1))["m"]
    return {
        "garbage": "not-a-token",
        "altered": good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB"),
        "other_key": tracking_token(Signer("another-deployment", clock), message_key),
        "other_purpose": Signer(TEST_SECRET, clock).sign("drill-confirm", {"m": message_key}),
    }


def test_forged_tokens_get_a_polite_page_and_record_nothing(
    client: FlaskClient, sent: Callable[..., SentDrill], store: Store, clock: FixedClock
) -> None:
    drill = sent(count=1)
    _, clicks = drill.links[staff(1)[0]]
    good = clicks[0].split("/")[3].split("?")[0]
    assert get(client, clicks[0]).status_code == 302  # the genuine token works ...
    store.delete(EVENT, store.query(EVENT)[0].key)
    for name, token in _bad_tokens(good, clock).items():  # ... and none of these does
        page = get(client, f"/t/c/{token}?l=schedule")
        assert page.status_code == 200, name
        text = page.get_data(as_text=True)
        assert "このリンクは使えません" in text and "正しくないか" in text, name
        image = get(client, f"/t/o/{token}.gif")
        assert image.status_code == 200 and image.mimetype == "image/gif", name
    assert store.query(EVENT) == []


def test_expired_token_gets_a_polite_page(
    client: FlaskClient, sent: Callable[..., SentDrill], clock: FixedClock, store: Store
) -> None:
    drill = sent(count=1)
    _, clicks = drill.links[staff(1)[0]]
    clock.advance(timedelta(days=91))  # tracking lasts 90 days
    page = get(client, clicks[0])
    assert page.status_code == 200 and "有効期間が終わっています" in page.get_data(as_text=True)
    assert store.query(EVENT) == []


def test_token_of_a_mail_never_sent_or_replayed_is_not_counted(
    client: FlaskClient,
    sent: Callable[..., SentDrill],
    deps: Deps,
    store: Store,
    settings: Settings,
    clock: FixedClock,
) -> None:
    # A validly signed token for a message that was scheduled but never sent (a preview, a leak).
    waiting_app = accepted_application(store, settings, clock, staff(1))
    schedule(deps, waiting_app, days=1, start=(clock.now() + timedelta(days=30)).date())
    (waiting,) = store.query(MESSAGE, where={"application_id": waiting_app})
    unsent = tracking_token(deps.signer, waiting.key)
    assert "正しくないか" in get(client, f"/t/c/{unsent}?l=schedule").get_data(as_text=True)

    drill = sent(count=1)
    _, clicks = drill.links[staff(1)[0]]
    clock.advance(timedelta(minutes=30))
    first = get(client, clicks[0])
    replayed = get(client, clicks[0])  # the same request again a moment later
    assert first.status_code == replayed.status_code == 302
    assert len(store.query(EVENT)) == 1
    clock.advance(timedelta(minutes=5))
    get(client, clicks[0])  # a second click later is a new event, still one clicker
    assert len(store.query(EVENT)) == 2
    assert activity(deps, drill.application_id).clicked == 1


def test_burst_of_scanner_hits_changes_no_human_count(
    client: FlaskClient, sent: Callable[..., SentDrill], deps: Deps, clock: FixedClock, store: Store
) -> None:
    drill = sent(count=4)  # 08-subtle has two links: meeting and slides
    people = staff(4)
    # Seconds after delivery: a gateway follows the links with a browser's agent.
    clock.advance(timedelta(seconds=5))
    for _, clicks in drill.links.values():
        get(client, clicks[0], address="203.0.113.50")
    clock.advance(timedelta(minutes=30))

    # What people did: staff1 opened and clicked, staff2 only opened.
    pixel1, clicks1 = drill.links[people[0]]
    get(client, pixel1)
    get(client, clicks1[0])
    get(client, drill.links[people[1]][0], address="198.51.100.8")
    before = activity(deps, drill.application_id)
    assert (before.opened, before.clicked) == (2, 1)
    events_before = len(store.query(EVENT))

    clock.advance(timedelta(hours=1))
    scanners = [
        "Mozilla/5.0 (compatible; Barracuda Sentinel)",
        "python-requests/2.32",
        "Slackbot-LinkExpanding 1.0",
    ]
    for agent in scanners:  # known agents, on every recipient's pixel and links
        for pixel, clicks in drill.links.values():
            get(client, pixel, agent=agent, address="192.0.2.10")
            for path in clicks:
                get(client, path, agent=agent, address="192.0.2.10")
    pixel3, clicks3 = drill.links[people[2]]
    client.head(clicks3[0], headers={"User-Agent": BROWSER}, environ_base={"REMOTE_ADDR": "192.0.2.11"})
    assert len(store.query(EVENT)) > events_before
    get(client, pixel3, headers={"Sec-Purpose": "prefetch"}, address="192.0.2.12")
    get(client, clicks3[0], headers={"Purpose": "prefetch"}, address="192.0.2.12")
    clock.advance(timedelta(minutes=1))
    for path in clicks3:  # every link of one mail in the same second
        get(client, path, address="192.0.2.13")
    clock.advance(timedelta(minutes=1))
    for _, clicks in drill.links.values():  # one address clicking for every recipient
        get(client, clicks[1], address="192.0.2.14")

    after = activity(deps, drill.application_id)
    assert (after.opened, after.clicked) == (before.opened, before.clicked)
    assert len(store.query(EVENT)) > events_before + 30  # kept, not dropped
    assert after.machine_hits == len(store.query(EVENT)) - 3  # all but the three human hits


def test_local_server_serves_tracking_next_to_the_site(
    built_site: Path,
    store: Store,
    settings: Settings,
    clock: FixedClock,
    sent: Callable[..., SentDrill],
) -> None:
    from local.serve import create_local_app

    app = create_local_app(settings.with_overrides(site_dir=built_site))
    app.extensions["campaign_store"] = store
    app.config["CAMPAIGN_CLOCK"] = clock
    client = app.test_client()
    drill = sent(count=1)
    pixel, clicks = drill.links[staff(1)[0]]
    clock.advance(timedelta(minutes=10))
    assert get(client, pixel).mimetype == "image/gif"
    landing = get(client, clicks[0]).headers["Location"]
    page = client.get(landing)
    assert page.status_code == 200 and "これは訓練です" in page.get_data(as_text=True)
    # A bad link gets the site's own layout around the polite message.
    bad = get(client, "/t/c/forged").get_data(as_text=True)
    assert "このリンクは使えません" in bad and 'class="md-header' in bad
    # Nothing of the borrowed page points at headings this page lacks (axe: skip link, region).
    assert 'href="#link-problem" class="md-skip"' in bad and 'id="link-problem"' in bad
    assert "md-sidebar--secondary" not in bad


# -- the officer's check sheet ---------------------------------------------------------------------


def _sheet_path(deps: Deps, application_id: str) -> str:
    return urlsplit(sheet_url(deps, application_id)).path


def test_check_sheet_by_signed_link_keeps_what_the_officer_enters(
    client: FlaskClient, sent: Callable[..., SentDrill], deps: Deps, clock: FixedClock, store: Store
) -> None:
    drill = sent(count=2)
    first, second = sorted(
        r.key for r in store.query(MESSAGE, where={"application_id": drill.application_id})
    )
    path = _sheet_path(deps, drill.application_id)
    clock.advance(timedelta(days=1))

    page = client.get(path)
    assert page.status_code == 200
    # With "no-referrer" a browser would post this form with `Origin: null`, which is refused.
    assert page.headers["Referrer-Policy"] == "same-origin"
    html = page.get_data(as_text=True)
    assert all(address in html for address in staff(2)) and "適切な動作" in html and "備考" in html

    reported_at = (clock.now() - timedelta(hours=2)).astimezone(JST).strftime("%Y-%m-%dT%H:%M")
    form = {
        f"reported-{first}": "yes",
        f"reported_at-{first}": reported_at,
        f"action-{first}": "reported_unopened",
        f"notes-{first}": '=HYPERLINK("x") 件名がおかしいと気づいた',
        f"reported-{second}": "no",
        f"reported_at-{second}": "",
        f"action-{second}": "clicked_no_report",
        f"notes-{second}": "",
    }
    saved = client.post(path, data=form)
    assert saved.status_code == 200 and "保存しました" in saved.get_data(as_text=True)
    check = store.get(CHECK, first)
    assert (
        check is not None and check.data["reported"] == "yes" and check.data["action"] == "reported_unopened"
    )
    assert parse_iso(check.data["reported_at"]) == clock.now().replace(second=0, microsecond=0) - timedelta(
        hours=2
    )
    # Reopened later, the sheet shows what was saved.
    again = client.get(path).get_data(as_text=True)
    assert f'value="{reported_at}"' in again and "件名がおかしいと気づいた" in again


@pytest.mark.parametrize(
    ("reported", "at", "action", "message"),
    [
        ("yes", "", "reported_unopened", "報告を受けた日時を入力してください"),
        ("yes", "きのうの朝", "reported_unopened", "2026-12-01 10:30 のように"),
        ("yes", "2099-01-01T10:00", "reported_unopened", "これから先の日時"),
        ("no", "2026-12-01T10:00", "", "日時を空欄に"),
        ("", "", "hacked", "一覧から選んでください"),
    ],
)
def test_check_sheet_refuses_wrong_entries_and_keeps_the_values(
    client: FlaskClient,
    sent: Callable[..., SentDrill],
    deps: Deps,
    store: Store,
    reported: str,
    at: str,
    action: str,
    message: str,
) -> None:
    drill = sent(count=1)
    (key,) = [r.key for r in store.query(MESSAGE, where={"application_id": drill.application_id})]
    form = {
        f"reported-{key}": reported,
        f"reported_at-{key}": at,
        f"action-{key}": action,
        f"notes-{key}": "メモ",
    }
    answer = client.post(_sheet_path(deps, drill.application_id), data=form)
    assert answer.status_code == 400
    html = answer.get_data(as_text=True)
    assert message in html and "メモ" in html and "cf-field--error" in html
    assert store.query(CHECK) == []


def test_check_sheet_link_must_be_ours_and_posts_must_come_from_our_pages(
    client: FlaskClient, sent: Callable[..., SentDrill], deps: Deps, store: Store, clock: FixedClock
) -> None:
    drill = sent(count=1)
    (key,) = [r.key for r in store.query(MESSAGE, where={"application_id": drill.application_id})]
    tracking = tracking_token(deps.signer, key)  # a real token, for another purpose
    for path in ("/t/sheet/forged", f"/t/sheet/{tracking}"):
        page = client.get(path)
        assert page.status_code == 200 and "正しくないか" in page.get_data(as_text=True)
    path = _sheet_path(deps, drill.application_id)
    form = {f"reported-{key}": "no", f"reported_at-{key}": "", f"action-{key}": "", f"notes-{key}": ""}
    foreign = client.post(path, data=form, headers={"Origin": "http://evil.example"})
    assert "正しくないか" in foreign.get_data(as_text=True)
    assert store.query(CHECK) == []
    assert client.post(path, data=form, headers={"Origin": "http://drill.test"}).status_code == 200
    clock.advance(timedelta(days=61))  # the link lasts 60 days
    assert "有効期間が終わっています" in client.get(path).get_data(as_text=True)


# -- a drill mail forwarded to the report address ----------------------------------------------------


def test_forwarded_drill_mail_records_the_report_time(
    sent: Callable[..., SentDrill],
    store: Store,
    clock: FixedClock,
    report_inbox: ReportInbox,
) -> None:
    drill = sent(count=2)
    originals = drill.mails
    clock.advance(timedelta(minutes=42))

    # staff1 forwards inline: the client quotes the text part, links and all.
    original = originals[staff(1)[0]]
    quoted = original.get_body(("plain",))
    assert quoted is not None
    inline = EmailMessage()
    inline["Subject"] = "Fw: " + str(original["Subject"])
    inline["From"], inline["To"] = staff(1)[0], REPORT_TO
    inline.set_content("怪しいメールが届きました。\n\n> " + quoted.get_content().replace("\n", "\n> "))
    report_inbox.forward(staff(1)[0], inline)
    # staff2 forwards the original as an attachment (message/rfc822).
    attached = EmailMessage()
    attached["Subject"], attached["From"] = "報告します", staff(2)[1]
    attached["To"] = REPORT_TO
    attached.set_content("添付のメールを報告します。")
    attached.add_attachment(originals[staff(2)[1]])
    report_inbox.forward(staff(2)[1], attached)

    reports = report_inbox.forwarded()
    assert set(reports) == set(staff(2))
    assert {parse_iso(at) for at in reports.values()} == {clock.now()}
    # A second forward later does not move the first report time.
    clock.advance(timedelta(hours=1))
    report_inbox.forward(staff(1)[0], inline)
    first = next(r for r in store.query(CHECK) if r.data["email"] == staff(1)[0])
    assert parse_iso(first.data["forwarded_at"]) == clock.now() - timedelta(hours=1)
    assert drill.application_id == first.data["application_id"]


def test_report_address_ignores_mail_without_a_genuine_token_and_refuses_other_recipients(
    sent: Callable[..., SentDrill], store: Store, report_inbox: ReportInbox
) -> None:
    sent(count=1)
    forged = EmailMessage()
    forged["Subject"], forged["From"], forged["To"] = "Fw", "x@example.com", REPORT_TO
    forged.set_content("http://drill.test/t/c/eyJtIjoiYWJjIn0.aw_QAA.forgedsignature00000000000?l=x")
    report_inbox.forward("x@example.com", forged)  # accepted, so nobody gets a confusing bounce ...
    assert store.query(CHECK) == []  # ... but nothing is recorded
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        report_inbox.forward("x@example.com", forged, to="someone@drill.example.jp")


# -- the drill report -----------------------------------------------------------------------------


def _keys_by_email(store: Store, application_id: str) -> dict[str, str]:
    return {r.data["email"]: r.key for r in store.query(MESSAGE, where={"application_id": application_id})}


def test_report_puts_reports_first_and_counts_only_people(
    client: FlaskClient,
    sent: Callable[..., SentDrill],
    deps: Deps,
    clock: FixedClock,
    store: Store,
    report_inbox: ReportInbox,
) -> None:
    drill = sent(count=4)
    people = staff(4)
    keys = _keys_by_email(store, drill.application_id)
    sent_at = clock.now()
    clock.advance(timedelta(minutes=30))
    get(client, drill.links[people[0]][0])  # staff1 opens ...
    clock.advance(timedelta(minutes=5))
    get(client, drill.links[people[0]][1][0])  # ... clicks, and reports 10 minutes later (sheet)
    get(client, drill.links[people[1]][0], address="198.51.100.8")  # staff2 opens, never reports
    get(client, drill.links[people[2]][0], agent="python-requests/2.32")  # a scanner, not staff3
    clock.advance(timedelta(minutes=10))
    # staff3 forwards the mail without opening it in a way we could see.
    original = drill.mails[people[2]]
    forward = EmailMessage()
    forward["Subject"], forward["From"], forward["To"] = "報告", people[2], REPORT_TO
    forward.set_content("報告します。")
    forward.add_attachment(original)
    report_inbox.forward(people[2], forward)
    sheet = {
        f"reported-{keys[people[0]]}": "yes",
        f"reported_at-{keys[people[0]]}": clock.now().astimezone(JST).strftime("%Y-%m-%dT%H:%M"),
        f"action-{keys[people[0]]}": "reported_after_click",
        f"notes-{keys[people[0]]}": '=HYPERLINK("http://x")',
        f"action-{keys[people[2]]}": "reported_unopened",
        f"notes-{keys[people[3]]}": "@SUM(1)",
    }
    assert client.post(_sheet_path(deps, drill.application_id), data=sheet).status_code == 200

    built = build_report(deps, drill.application_id)
    rows = {row.email: row for row in built.rows}
    assert [rows[p].opened for p in people] == ["yes", "yes", "no", "unknown"]
    assert rows[people[0]].minutes_to_report == 15  # from opening (30 min) to the report (45 min)
    assert rows[people[2]].reported_at == clock.now() and rows[people[2]].opened_at is None
    assert rows[people[2]].minutes_to_report == 45  # no open seen: counted from delivery
    assert rows[people[1]].reported_at is None and rows[people[3]].reported_at is None
    assert rows[people[0]].sent_at == sent_at
    assert (built.rates.sent, built.rates.reported, built.rates.opened, built.rates.clicked) == (4, 2, 2, 1)
    assert built.rates.median_minutes == 30

    csv_bytes = render_csv(built)
    assert csv_bytes.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(csv_bytes.decode("utf-8-sig"))))
    assert table[0][0] == "参加者" and len(table) == 5
    notes = {row[0]: row[7] for row in table[1:]}
    assert notes[people[0]] == '\'=HYPERLINK("http://x")' and notes[people[3]] == "'@SUM(1)"

    html = render_html(built, site_url="http://drill.test")
    assert "報告した人の割合" in html and "50%" in html and "不明" in html
    assert html.index("報告した人の割合") < html.index("開封した人の割合")  # reports come first
    assert not re.search(r'(src|href)="(?!http://drill\.test/|/|#)', html)  # nothing from elsewhere
    assert "<script" not in html and "@page { size: A4" in html


def test_campaign_average_takes_every_drill_and_names_no_one(
    sent: Callable[..., SentDrill], deps: Deps, store: Store, clock: FixedClock, client: FlaskClient
) -> None:
    first = sent(count=2)
    other = sent(count=2)  # another company's drill (the smtp log holds both)
    clock.advance(timedelta(hours=1))
    for pixel, _ in list(other.links.values())[:2]:
        get(client, pixel, address="203.0.113.77")
    # The other drill is counted once its report is built (the scheduler builds it to mail it).
    alone = build_report(deps, first.application_id)
    assert (alone.campaign.sent, alone.campaign.opened, alone.campaign_drills) == (2, 0, 1)
    build_report(deps, other.application_id)
    mine = build_report(deps, first.application_id)
    assert (mine.rates.sent, mine.rates.opened) == (2, 0)
    assert (mine.campaign.sent, mine.campaign.opened, mine.campaign_drills) == (4, 2, 2)
    # Built again, nothing is counted twice.
    build_report(deps, other.application_id)
    again = build_report(deps, first.application_id)
    assert (again.campaign.sent, again.campaign.opened, again.campaign_drills) == (4, 2, 2)
    html = render_html(mine, site_url="http://drill.test")
    assert not any(address in html for address in other.links if address not in first.links)


def test_report_link_serves_html_and_csv_and_refuses_forged_tokens(
    client: FlaskClient, sent: Callable[..., SentDrill], deps: Deps
) -> None:
    drill = sent(count=1)
    path = urlsplit(report_url(deps, drill.application_id)).path
    page = client.get(path)
    assert page.status_code == 200 and "訓練結果レポート" in page.get_data(as_text=True)
    assert "no-store" in page.headers["Cache-Control"]
    download = client.get(f"{path}/csv")
    assert (
        download.data.startswith(b"\xef\xbb\xbf") and "attachment" in download.headers["Content-Disposition"]
    )
    sheet_as_report = urlsplit(sheet_url(deps, drill.application_id)).path.replace("/t/sheet/", "/t/report/")
    for forged in ("/t/report/forged", sheet_as_report, "/t/report/forged/csv"):
        answer = client.get(forged)
        assert answer.status_code == 200 and "このリンクは使えません" in answer.get_data(as_text=True)


def test_report_names_the_office_the_officer_applied_for(
    client: FlaskClient, store: Store, settings: Settings, clock: FixedClock, deps: Deps
) -> None:
    app_id = accepted_application(
        store, settings, clock, staff(1), company="株式会社テスト", office="大阪支店"
    )
    schedule(deps, app_id, days=1, month=8, variant="subtle")
    built = build_report(deps, app_id)
    assert (built.company, built.office) == ("株式会社テスト", "大阪支店")
    page = client.get(urlsplit(report_url(deps, app_id)).path).get_data(as_text=True)
    assert "株式会社テスト 大阪支店" in page


# -- the one-shot status page -----------------------------------------------------------------------


def test_oneshot_status_page_shows_sent_opened_and_clicked_for_people_only(
    client: FlaskClient, clock: FixedClock, sent_oneshot: list[EmailMessage]
) -> None:
    address = ONESHOT_ADDRESS
    sample, notice = sent_oneshot
    html = sample.get_body(("html",))
    text = notice.get_body(("plain",))
    assert html is not None and text is not None
    pixel, clicks = tracking_paths(html.get_content())
    status_path = urlsplit(re.search(r"http://drill\.test(/t/oneshot/\S+)", text.get_content())[0]).path

    before = client.get(status_path).get_data(as_text=True)
    assert "ワンショット体験の結果" in before and address in before and before.count("記録はありません") == 2
    assert 'href="/t/allowlist/"' in before  # what to tell the mail administrator when nothing shows
    clock.advance(timedelta(seconds=3))
    get(client, clicks[0], agent="Mozilla/5.0 (compatible; Barracuda Sentinel)")  # a gateway
    clock.advance(timedelta(minutes=20))
    get(client, pixel)  # the person opens it
    after = client.get(status_path).get_data(as_text=True)
    assert after.count("記録はありません") == 1 and "1 件ありました" in after
    assert "開いても記録されないことがあります" in after
    assert "このリンクは使えません" in client.get("/t/oneshot/forged").get_data(as_text=True)


def test_local_outbox_viewer_shows_mail_to_this_machine_only(
    built_site: Path, store: Store, settings: Settings, clock: FixedClock
) -> None:
    from campaign_core.mail import OutboxMailer
    from local.serve import create_local_app

    local = settings.with_overrides(site_dir=built_site, mail_backend="outbox")
    app = create_local_app(local)
    app.extensions["campaign_store"] = store
    app.config["CAMPAIGN_CLOCK"] = clock
    deps = Deps(store=store, mailer=OutboxMailer(local.outbox_dir), clock=clock, settings=local)
    app_id = accepted_application(store, local, clock, staff(1))
    schedule(deps, app_id, days=1)
    clock.advance(timedelta(days=3))
    assert send_due(deps).count("sent") == 1
    viewer = app.test_client()

    listing = viewer.get("/outbox/", environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert listing.status_code == 200 and "【失効間近】" in listing.get_data(as_text=True)
    assert "ポイント会員サービス係" in listing.get_data(as_text=True)  # the sender, a clue to check
    name = re.search(r'href="/outbox/([0-9a-f]{32}\.eml)">【失効間近】', listing.get_data(as_text=True))
    assert name
    mail = viewer.get(f"/outbox/{name.group(1)}", environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert mail.mimetype == "text/html" and "/t/o/" in mail.get_data(as_text=True)
    assert "script-src 'none'" in mail.headers["Content-Security-Policy"]
    # Not from another machine, not a path of our choosing, and not in the Lambda app at all.
    assert viewer.get("/outbox/", environ_base={"REMOTE_ADDR": "203.0.113.5"}).status_code == 404
    # Nor under a name someone else points at 127.0.0.1 (a DNS-rebinding page); our names work.
    for host, status in [("rebind.evil.example:8000", 404), ("127.0.0.1:8000", 200), ("localhost:8000", 200)]:
        answer = viewer.get("/outbox/", headers={"Host": host}, environ_base={"REMOTE_ADDR": "127.0.0.1"})
        assert answer.status_code == status, host
    assert (
        viewer.get("/outbox/..%2Fcampaign.sqlite3", environ_base={"REMOTE_ADDR": "127.0.0.1"}).status_code
        == 404
    )
    lambda_app = create_app(local, store=store, mailer=deps.mailer, clock=clock)
    assert lambda_app.test_client().get("/outbox/").status_code == 404
