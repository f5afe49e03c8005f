"""Forwarded reports in the shapes mail systems deliver them, over the real SMTP listener on
loopback: the drill mail attached as .eml or Outlook .msg, passed on by the officer, parts in
charsets Python does not know, links rewritten by Safe Links or Proofpoint; and a spam complaint
about a drill mail, noted as a report without keeping the reveal from the participant."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage
from urllib.parse import quote

import pytest

from campaign_core.clock import JST, FixedClock, parse_iso
from campaign_core.deps import Deps
from campaign_core.mail.suppression import SuppressingMailer
from campaign_core.records import CHECK, MESSAGE, SUPPRESSED
from campaign_core.ses_events import record_sns_event
from campaign_core.store import Store
from drill_sender.inbound_links import proofpoint_v3
from drill_sender.services.checksheet import form_values, load_sheet, save_sheet
from drill_sender.services.followups import plan_followups
from drill_sender.services.report import build_report
from drill_sender.services.send import send_due
from tests.support.aws_events import ses_complaint, sns_event
from tests.support.drill import REPORT_TO, ReportInbox, SentDrill, staff
from tests.support.outlook_msg import Attachment, OutlookMail, outlook_msg
from tests.support.servers import FaultySMTPServer

SITE = "http://drill.test"


def _click_url(drill: SentDrill, person: str) -> str:
    return SITE + drill.links[person][1][0]


def _wrapper(sender: str, text: str) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"], mail["From"], mail["To"] = "Fw: 怪しいメール", sender, REPORT_TO
    mail.set_content(text)
    return mail


def test_an_eml_attachment_and_an_outlook_msg_are_matched_by_their_token(
    sent: Callable[..., SentDrill],
    store: Store,
    clock: FixedClock,
    report_inbox: ReportInbox,
) -> None:
    drill = sent(count=3)
    people = staff(3)
    originals = drill.mails
    clock.advance(timedelta(minutes=20))

    # staff1's client attaches the original as a file, application/octet-stream, named .eml.
    eml = _wrapper(people[0], "添付のメールが届きました。")
    eml.add_attachment(originals[people[0]].as_bytes(), maintype="application", subtype="octet-stream",
                       filename="original.eml")  # fmt: skip
    assert report_inbox.send(people[0], eml.as_bytes())[0] == 250
    # staff2 uses Outlook: "forward as attachment" gives the drill mail as an Outlook item (.msg).
    original = originals[people[1]]
    body = original.get_body(("plain",))
    html = original.get_body(("html",))
    assert body is not None and html is not None
    item = OutlookMail(str(original["Subject"]), body.get_content(), html=html.get_content())
    outer = OutlookMail("FW: " + str(original["Subject"]), "お知らせします。", attachments=[
        Attachment("訓練メール.msg", embedded=item)
    ])  # fmt: skip
    outlook = _wrapper(people[1], "転送します。")
    outlook.add_attachment(outlook_msg(outer), maintype="application", subtype="vnd.ms-outlook",
                           filename="FW 訓練メール.msg")  # fmt: skip
    assert report_inbox.send(people[1], outlook.as_bytes())[0] == 250

    reports = report_inbox.forwarded()
    assert set(reports) == {people[0], people[1]}
    assert {parse_iso(at) for at in reports.values()} == {clock.now()}
    assert drill.application_id == {r.data["application_id"] for r in store.query(CHECK)}.pop()


def test_the_officer_passing_reports_on_credits_each_participant_at_arrival(
    sent: Callable[..., SentDrill],
    clock: FixedClock,
    report_inbox: ReportInbox,
) -> None:
    originals = sent(count=3).mails
    people = staff(3)
    clock.advance(timedelta(hours=2))
    # Two participants forwarded to the officer (as the notice told them); the officer collects
    # their forwards, each holding the drill mail, and forwards them on in one mail.
    officer = _wrapper("taro@test-corp.example.jp", "社員2名から報告がありました。")
    for person in people[:2]:
        forward = _wrapper(person, "怪しいメールです。")
        forward.add_attachment(originals[person])
        officer.add_attachment(forward)
    assert report_inbox.send("taro@test-corp.example.jp", officer.as_bytes())[0] == 250

    reports = report_inbox.forwarded()
    assert set(reports) == set(people[:2])  # the officer is no participant; staff3 reported nothing
    assert {parse_iso(at) for at in reports.values()} == {clock.now()}


@pytest.mark.parametrize("charset", ["unknown-8bit", "x-unknown", "iso-2022-jp-ms"])
def test_a_part_in_an_unknown_charset_does_not_stop_the_report(
    charset: str,
    sent: Callable[..., SentDrill],
    report_inbox: ReportInbox,
) -> None:
    drill = sent(count=1)
    person = staff(1)[0]
    link = _click_url(drill, person).encode()
    text = (
        "怪しいメールです。".encode("iso-2022-jp") if charset == "iso-2022-jp-ms" else "報告".encode("cp932")
    )
    raw = (
        b"From: " + person.encode() + b"\r\nTo: " + REPORT_TO.encode() + b"\r\nSubject: Fw\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=xx\r\n\r\n"
        b"--xx\r\nContent-Type: text/plain; charset=" + charset.encode() + b"\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\n" + text + b"\r\n\xff\xfe " + link + b"\r\n"
        b"--xx\r\nContent-Type: text/html; charset=" + charset.encode() + b"\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(b"<p>\x8e\xa0</p>")
        + b"\r\n--xx--\r\n"
    )
    code, answer = report_inbox.send(person, raw)
    assert (code, answer) == (250, b"Thank you for reporting")  # not 451: the sender retried for days
    assert set(report_inbox.forwarded()) == {person}


def _safe_links(url: str) -> str:
    return (
        "https://jpn01.safelinks.protection.outlook.com/?url=" + quote(url, safe="")
        + "&data=05%7C02%7Ctaro%40test-corp.example.jp%7C8f1e&sdata=abc%3D&reserved=0"
    )  # fmt: skip


def _proofpoint_v2(url: str) -> str:
    encoded = quote(url, safe="").replace("_", "%5F").replace("-", "%2D")
    encoded = encoded.replace("%", "-").replace("-2F", "_")
    return f"https://urldefense.proofpoint.com/v2/url?u={encoded}&d=DwMFaQ&c=euGZ&r=abc&m=def&s=ghi&e="


def _proofpoint_v3(url: str) -> str:
    # v3 replaces what is not URL-safe (here: ? and =) by `*` and carries it base64-encoded.
    replaced = "".join(c for c in url if c in "?=")
    masked = "".join("*" if c in "?=" else c for c in url)
    tail = base64.urlsafe_b64encode(replaced.encode()).decode().rstrip("=")
    return f"https://urldefense.com/v3/__{masked}__;{tail}!!ACWV5N9M2RV99hQ!abcdef$"


@pytest.mark.parametrize("rewrite", [_safe_links, _proofpoint_v2, _proofpoint_v3])
def test_links_rewritten_by_a_gateway_are_matched(
    rewrite: Callable[[str], str],
    sent: Callable[..., SentDrill],
    report_inbox: ReportInbox,
) -> None:
    drill = sent(count=2)
    person = staff(2)[1]
    rewritten = rewrite(_click_url(drill, person))
    # Safe Links and v2 leave no /t/c/ path as it was; v3 keeps it but glues `*` and `__;` to it.
    assert "/t/c/" not in rewritten or rewrite is _proofpoint_v3
    html = EmailMessage()
    html["Subject"], html["From"], html["To"] = "FW: お知らせ", person, REPORT_TO
    html.set_content("転送します。\n" + rewritten)
    href = rewritten.replace("&", "&amp;")
    html.add_alternative(
        f'<p>転送します。</p><blockquote><a href="{href}">こちら</a></blockquote>', subtype="html"
    )
    assert report_inbox.send(person, html.as_bytes())[0] == 250
    assert set(report_inbox.forwarded()) == {person}


def test_proofpoint_v3_puts_the_replaced_characters_back() -> None:
    # "?" and "=" were replaced by "*"; the tail "Pz0" is base64 of "?=". "**A" stands for a run of 2.
    assert proofpoint_v3("https://x.jp/t/c/abc.def.ghi*l*2", "Pz0") == "https://x.jp/t/c/abc.def.ghi?l=2"
    assert proofpoint_v3("https://x.jp/a**Ab", "Pz0") == "https://x.jp/a?=b"


# -- a spam complaint about a drill mail ----------------------------------------------------------


def test_a_spam_complaint_is_a_report_and_the_reveal_still_arrives(
    sent: Callable[..., SentDrill],
    smtp: FaultySMTPServer,
    store: Store,
    deps: Deps,
    clock: FixedClock,
) -> None:
    drill = sent(count=2)
    people = staff(2)
    original = drill.mails[people[0]]
    clock.advance(timedelta(minutes=12))
    # staff1 presses "junk" in their mail program; the provider's feedback loop reaches SES.
    event = sns_event(ses_complaint(people[0], original_message_id=str(original["Message-ID"])))
    assert record_sns_event(store, clock, json.loads(json.dumps(event))) == [people[0]]
    # A complaint about some other mail of ours stays a plain suppression.
    record_sns_event(store, clock, sns_event(ses_complaint("other@test-corp.example.jp")))

    check = next(r for r in store.query(CHECK) if r.data["email"] == people[0])
    assert parse_iso(check.data["complained_at"]) == clock.now()
    row = next(r for r in build_report(deps, drill.application_id).rows if r.email == people[0])
    assert row.reported_at == clock.now()
    sheet = load_sheet(deps, drill.application_id)
    values = form_values(sheet)
    assert values[f"action-{check.key}"] == "reported_as_spam"
    assert values[f"reported-{check.key}"] == "yes"
    entries = {r.key: r.data for r in store.query(SUPPRESSED)}
    assert entries[people[0]]["reason"] == "complaint" and entries[people[0]].get("reveal_allowed")
    assert not entries["other@test-corp.example.jp"].get("reveal_allowed")

    # A week on, the reveal goes out through the suppressing mailer and reaches staff1 too; the
    # follow-up learning mail (no reveal) does not.
    guarded = Deps(
        store=store, mailer=SuppressingMailer(smtp.mailer(), store), clock=clock, settings=deps.settings
    )
    plan_followups(guarded)
    before = len(smtp.received)
    clock.advance(timedelta(days=8))
    send_due(guarded)
    reveals = [m for m in smtp.received[before:] if m.message.get("X-Campaign-Notice") == "reveal"]
    assert sorted(m.rcpt_tos[0] for m in reveals) == people
    clock.advance(timedelta(days=8))
    summary = send_due(guarded)
    assert summary.count("failed") == 1 and summary.count("sent") == 1  # staff2's follow-up only
    assert {
        r.data["email"] for r in store.query(MESSAGE, where={"application_id": drill.application_id})
    } == set(people)


def test_the_check_sheet_shows_a_forward_filled_in_and_the_officer_has_the_last_word(
    sent: Callable[..., SentDrill],
    store: Store,
    deps: Deps,
    clock: FixedClock,
    report_inbox: ReportInbox,
) -> None:
    drill = sent(count=2)
    people = staff(2)
    clock.advance(timedelta(minutes=9))
    forward = _wrapper(people[0], "届きました。")
    forward.add_attachment(drill.mails[people[0]])
    assert report_inbox.send(people[0], forward.as_bytes())[0] == 250
    key = next(r.key for r in store.query(CHECK))
    values = form_values(load_sheet(deps, drill.application_id))
    assert values[f"reported-{key}"] == "yes" and values[f"notes-{key}"] == "転送で報告"
    assert values[f"reported_at-{key}"] == clock.now().astimezone(JST).strftime("%Y-%m-%dT%H:%M")
    # The officer knows better (a colleague forwarded it for them) and saves "no report".
    clock.advance(timedelta(hours=1))
    answer = {k: v for k, v in values.items() if not k.endswith(key)}
    answer |= {f"reported-{key}": "no", f"notes-{key}": "本人ではなく同僚が転送"}
    assert save_sheet(deps, drill.application_id, answer) == {}
    row = next(r for r in build_report(deps, drill.application_id).rows if r.email == people[0])
    assert row.reported_at is None
    assert form_values(load_sheet(deps, drill.application_id))[f"reported-{key}"] == "no"
