"""`campaign forget` on both stores: afterwards no item of any kind and no outbox mail holds the
address, the company's report keeps its anonymous counts, and the audit log says it happened
without naming the address."""

from __future__ import annotations

import os
import signal
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

from click.testing import CliRunner
from flask.testing import FlaskClient

from campaign_core.clock import FixedClock
from campaign_core.deps import Deps
from campaign_core.mail.suppression import suppress
from campaign_core.records import PERSONAL_KINDS, mailable_participants
from campaign_core.settings import Settings
from campaign_core.store import Store
from campaign_core.store.sqlite import SQLiteStore
from cli.main import cli
from drill_sender.services.report import build_report
from hq import audit
from hq.forget import forget, mail_mentions
from tests.support import TEST_SECRET
from tests.support.drill import OFFICER_DOMAIN, SentDrill, confirmed_oneshot, get, staff
from tests.support.forms import DRILL_FORM, ONESHOT_FORM, SEMINAR_FORM
from tests.support.hq import audit_who, every_item, hq_command_env
from tests.support.servers import free_port, run_python, start_local_server, wait_for


def _everything_mentioning(store: Store, settings: Settings, address: str) -> list[str]:
    found = [f"{kind}/{key}" for kind, key, text in every_item(store) if address in (key + text).lower()]
    found += [
        path.name
        for path in settings.outbox_dir.glob("*.eml")
        if address in message_from_bytes(path.read_bytes(), policy=policy.default).as_string().lower()
        or mail_mentions(path.read_bytes(), address)
    ]
    return found


def test_forget_a_participant_officer_and_signup_everywhere(
    store: Store,
    settings: Settings,
    clock: FixedClock,
    deps: Deps,
    client: FlaskClient,
    sent: Callable[..., SentDrill],
) -> None:
    drill = sent(count=3)
    person = staff(3)[1]  # a participant who also signed up for a seminar and a one-shot sample
    officer = f"taro@{OFFICER_DOMAIN}"
    clock.advance(timedelta(minutes=30))
    get(client, drill.links[person][1][0])  # clicks
    get(client, drill.links[staff(3)[0]][0])  # another participant opens
    store.put_new(
        "seminar_signup",
        "s1:x",
        {"email": person.upper(), "name": "鈴木 一郎", "consent": {"version": "2026-11", "at": "2026-11-01"}},
    )
    confirmed_oneshot(store, settings, clock, person)
    store.put_new("drill_check", "note", {"application_id": "x", "notes": f"{person} に確認済み"})
    store.put_new(
        "drill_notice",
        "followup-x",
        {
            "application_id": drill.application_id,
            "purpose": "followup",
            "email": person,
            "state": "scheduled",
        },
    )
    suppress(store, person, reason="complaint", detail="abuse", now=clock.now())
    before = build_report(deps, drill.application_id)
    notices = [n for n in store.query("drill_notice") if n.data.get("email") == person]
    assert len(notices) >= 2, "the reveal and follow-up notices planned by send-due, and ours"
    assert _everything_mentioning(store, settings, person), "the address is stored before"

    environment = hq_command_env(settings, clock, "honbu-sato")
    result = CliRunner().invoke(cli, ["forget", person, "--yes"], env=environment, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "消しました:" in result.output

    assert _everything_mentioning(store, settings, person) == []
    after = build_report(deps, drill.application_id)
    assert (after.rates.sent, after.rates.opened, after.rates.clicked) == (
        before.rates.sent,
        before.rates.opened,
        before.rates.clicked,
    )
    assert [r.email for r in after.rows].count("") == 1
    application = store.get("application", drill.application_id)
    assert application is not None and person not in mailable_participants(dict(application.data))
    assert _everything_mentioning(store, settings, officer), "other people's data stays"

    (line,) = audit.lines(store)
    assert line.data["who"] == audit_who(environment) and line.data["command"] == "forget"
    assert person not in repr(line.data).lower()
    assert line.data["details"]["deleted"]["seminar_signup"] == 1
    assert line.data["details"]["deleted"]["oneshot"] == 1
    assert line.data["details"]["deleted"]["drill_notice"] == len(notices), "none was sent yet"

    # The officer too: name and address erased, the drill's other data stays.
    summary = forget(store, officer.upper(), outbox_dir=settings.outbox_dir)
    assert summary.anonymised["application"] == 1
    assert _everything_mentioning(store, settings, officer) == []
    application = store.get("application", drill.application_id)
    assert application is not None and application.data["officer_name"] == ""
    assert application.data["company"] == "株式会社テスト"


def test_forget_an_unknown_address_changes_nothing_but_is_audited(
    store: Store, settings: Settings, clock: FixedClock
) -> None:
    store.put_new("seminar_signup", "k", {"email": "someone@example.jp"})
    environment = hq_command_env(settings, clock)
    result = CliRunner().invoke(cli, ["forget", "nobody@example.jp", "--yes"], env=environment)
    assert result.exit_code == 0 and "このアドレスのデータはありませんでした" in result.output
    assert store.get("seminar_signup", "k") is not None
    assert [r.data["command"] for r in audit.lines(store)] == ["forget"]
    refused = CliRunner().invoke(cli, ["forget", "not-an-address", "--yes"], env=environment)
    assert refused.exit_code == 2


def test_every_kind_written_by_the_services_is_listed_as_personal() -> None:
    from drill_sender.services import checksheet, followups, schedule, tracking
    from form_lambda.services import drill, oneshot, seminar

    written = {
        drill.APPLICATION,
        drill.OFFICE_CLAIM,
        oneshot.ONESHOT,
        seminar.SIGNUP,
        schedule.DRILL,
        schedule.MESSAGE,
        tracking.EVENT,
        checksheet.CHECK,
        followups.NOTICE,
    }
    assert written <= set(PERSONAL_KINDS)


def test_after_forget_and_a_clean_stop_no_file_under_the_data_dir_holds_the_address(
    built_site: Path, tmp_path: Path
) -> None:
    # The local server runs (its connections stay open), the address signs up here and there,
    # staff run `campaign forget` from another process, then the server is stopped.
    address = "forget-me@wal.example.jp"
    data_dir = tmp_path / "var"
    port = free_port()
    env = {
        **os.environ,
        "CAMPAIGN_DATA_DIR": str(data_dir),
        "CAMPAIGN_SITE_DIR": str(built_site),
        "CAMPAIGN_SECRET_KEY": TEST_SECRET,
        "CAMPAIGN_NOW": "2026-11-27T10:00",
        "PORT": str(port),
        "CAMPAIGN_INBOUND_PORT": str(free_port()),
    }
    server = start_local_server(env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(f"{base}/api/health"), timeout=60)
        forms = [
            ("/api/seminar", {**SEMINAR_FORM, "email": address}),
            ("/api/oneshot", {**ONESHOT_FORM, "email": address}),
            ("/api/drill", {**DRILL_FORM, "participants": f"{address}\nhanako@test-corp.example.jp"}),
            ("/api/seminar", {**SEMINAR_FORM, "email": address.upper()}),
        ]
        for path, form in forms:
            assert _post(f"{base}{path}", form) == 200
        assert any(address.encode() in p.read_bytes().lower() for p in _files(data_dir))
        run_python(["-m", "cli", "forget", address, "--yes"], env)
        # Already while the server runs: its open connections kept the write-ahead log (every
        # page version since the last checkpoint) until `forget` checkpointed and truncated it.
        assert _holding(data_dir, address) == []
        assert _post(f"{base}/api/oneshot", {**ONESHOT_FORM, "email": "next@wal.example.jp"}) == 200
    finally:
        server.send_signal(signal.SIGTERM)  # how a service manager stops it
        output, _ = server.communicate(timeout=30)
    assert server.returncode == 0, output
    assert _holding(data_dir, address) == []
    # A clean stop closes the connections: SQLite folds the log into the database and removes it.
    assert not (data_dir / "campaign.sqlite3-wal").exists()
    # The store still works and still has the rest (the other participant's application).
    store = SQLiteStore(data_dir / "campaign.sqlite3")
    try:
        [application] = store.query("application")
        assert [p["email"] for p in application.data["participants"]] == ["", "hanako@test-corp.example.jp"]
    finally:
        store.close()


def _holding(directory: Path, address: str) -> list[str]:
    return [p.name for p in _files(directory) if address.encode() in p.read_bytes().lower()]


def _files(directory: Path) -> list[Path]:
    return [p for p in directory.rglob("*") if p.is_file()]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _post(url: str, form: dict[str, str]) -> int:
    data = urllib.parse.urlencode(form).encode()
    with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=30) as response:
        return int(response.status)
