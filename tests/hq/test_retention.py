"""Retention on both stores with moved time: tracking detail is erased after its period while the
report keeps its numbers; records past their period are deleted, newer ones stay; every run of the
staff command leaves an audit line."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from campaign_core.clock import FixedClock
from campaign_core.deps import Deps
from campaign_core.records import EVENT
from campaign_core.settings import Settings, load_retention
from campaign_core.store import Store
from cli.main import cli
from drill_sender.services.report import build_report, render_csv, render_html
from hq import audit
from hq.retention import SETTLED_AGENT, SETTLED_MACHINE_AGENT, Retention, purge
from tests.support.drill import BROWSER, OFFICE_ADDRESS, SentDrill, get, staff
from tests.support.hq import audit_who, every_item, hq_command_env, signup

SCANNER = "Mozilla/5.0 (compatible; Proofpoint URL Defense scanner)"
GATEWAY = "203.0.113.9"


def _purge_cli(settings: Settings, clock: FixedClock) -> str:
    environment = hq_command_env(settings, clock, "honbu-tanaka")
    result = CliRunner().invoke(cli, ["purge"], env=environment, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_purge_settles_tracking_then_deletes_what_is_past_its_period(
    clock: FixedClock, deps: Deps, client: FlaskClient, sent: Callable[..., SentDrill]
) -> None:
    store, settings = deps.store, deps.settings  # the drill's own store and settings
    drill = sent(count=3)
    first, second, third = staff(3)
    clock.advance(timedelta(minutes=30))
    assert get(client, drill.links[first][0]).status_code == 200  # a person opens
    assert get(client, drill.links[second][1][0]).status_code == 302  # a person clicks
    for path in drill.links[third][1]:  # a scanner follows every link of the third mail
        get(client, path, agent=SCANNER, address=GATEWAY)
    signup(store, "old", "old-signup@example.jp", (clock.now() - timedelta(days=10)).isoformat())
    outbox = settings.outbox_dir
    assert any(outbox.glob("*.eml")), "the forms' mails went to the outbox"
    before = build_report(deps, drill.application_id)
    assert (before.rates.opened, before.rates.clicked) == (2, 1)

    # 91 days on: the tracking detail is past its period; everything else stays.
    clock.advance(timedelta(days=91))
    output = _purge_cli(settings, clock)
    assert "開封・クリックの記録" in output and "件をまとめ" in output
    events = store.query(EVENT)
    assert events and all(e.data.get("settled") for e in events)
    assert not any(
        GATEWAY in text or OFFICE_ADDRESS in text or BROWSER in text for _, _, text in every_item(store)
    )
    assert {e.data["user_agent"] for e in events} == {SETTLED_AGENT, SETTLED_MACHINE_AGENT}
    after = build_report(deps, drill.application_id)
    assert after.rates == before.rates and after.rows == before.rows
    assert "株式会社テスト" in render_html(after, site_url="http://drill.test")
    assert render_csv(after) == render_csv(before)
    assert store.get("application", drill.application_id) is not None
    assert store.get("seminar_signup", "old") is not None
    assert not any(outbox.glob("*.eml")), "outbox copies older than 90 days are deleted"
    (line,) = audit.lines(store)
    assert (
        line.data["who"] == audit_who(hq_command_env(settings, clock, "honbu-tanaka"))
        and line.data["command"] == "purge"
    )
    assert line.data["details"]["settled_events"] == len(events)

    # Three years after the drill: the drill and its application go; a recent signup stays.
    clock.advance(timedelta(days=3 * 365))
    signup(store, "new", "new-signup@example.jp", clock.now().isoformat())
    summary = purge(store, clock, settings.retention, outbox_dir=outbox)
    assert summary.deleted["application"] == 1 and summary.deleted["drill_message"] == 3
    kinds = {kind for kind, _, _ in every_item(store)}
    # Staff's checked company domain, the fiscal year's summed report figures and the periods the
    # purge last ran with (they name no one).
    assert kinds == {"seminar_signup", "audit", "checked_domain", "campaign_summary", "setting"}
    (periods,) = store.query("setting")
    assert periods.data == {"tracking_days": 90, "records_days": 3 * 365, "unconfirmed_days": 30}
    (year,) = store.query("campaign_summary")
    assert set(year.data) == {"drills", "sent", "reported", "opened", "clicked", "minutes"}
    assert [r.key for r in store.query("seminar_signup")] == ["new"]
    assert not any(
        drill.application_id in text or drill.application_id in key for _, key, text in every_item(store)
    )


def test_unconfirmed_applications_go_after_their_own_period(
    store: Store, settings: Settings, clock: FixedClock
) -> None:
    from tests.support.drill import accepted_application

    pending = accepted_application(store, settings, clock, staff(1), officer_confirms=False)
    accepted = accepted_application(store, settings, clock, staff(2))
    retention = Retention()
    clock.advance(timedelta(days=retention.unconfirmed_days - 1))
    purge(store, clock, retention)
    assert store.get("application", pending) is not None
    clock.advance(timedelta(days=5))
    summary = purge(store, clock, retention)
    assert store.get("application", pending) is None
    assert store.get("application", accepted) is not None
    assert summary.deleted["office_claim"] >= 1
    assert all(c.data["application_id"] == accepted for c in store.query("office_claim"))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"CAMPAIGN_RETAIN_TRACKING_DAYS": "0"}, "at least 1 day"),
        ({"CAMPAIGN_RETAIN_RECORDS_DAYS": "a year"}, "CAMPAIGN_RETAIN_RECORDS_DAYS must be a whole number"),
        ({"CAMPAIGN_RETAIN_TRACKING_DAYS": "400", "CAMPAIGN_RETAIN_RECORDS_DAYS": "300"}, "longer than"),
    ],
)
def test_retention_settings_refuse_nonsense(extra: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load_retention(extra)


def test_retention_settings_have_defaults_and_take_overrides() -> None:
    assert load_retention({}) == Retention(tracking_days=90, records_days=1095)
    assert load_retention({"CAMPAIGN_RETAIN_TRACKING_DAYS": "30"}).tracking_days == 30


def test_outbox_dir_missing_is_fine(store: Store, clock: FixedClock, tmp_path: Path) -> None:
    summary = purge(store, clock, Retention(), outbox_dir=tmp_path / "none")
    assert summary.as_dict() == {"deleted": {}, "settled_events": 0, "outbox_files": 0}


def test_daily_job_purges_at_start_and_writes_its_audit_line(
    store: Store, settings: Settings, clock: FixedClock
) -> None:
    import threading

    from hq.retention import purge_and_audit
    from local.jobs import PeriodicJob

    signup(store, "old", "old@example.jp", (clock.now() - timedelta(days=4 * 365)).isoformat())
    done = threading.Event()

    def job() -> object:
        summary = purge_and_audit(store, clock, settings, who="scheduler")
        done.set()
        return summary

    daily = PeriodicJob("purge", lambda _stopping: job(), interval=3600)
    daily.start()
    assert done.wait(30)
    daily.stop()
    assert daily.runs == 1
    assert store.get("seminar_signup", "old") is None
    (line,) = audit.lines(store)
    assert line.data["who"] == "scheduler" and line.data["details"]["deleted"] == {"seminar_signup": 1}


def _old_signups(store: Store, clock: FixedClock, count: int) -> None:
    for n in range(count):
        signup(store, f"s{n:03}", f"s{n}@example.jp", (clock.now() - timedelta(days=10 + n)).isoformat())


@pytest.mark.parametrize("history", [1, 100])
def test_a_daily_purge_reads_what_is_due_not_the_history(
    store: Store, clock: FixedClock, history: int
) -> None:
    _old_signups(store, clock, history)
    purge(store, clock, Retention())  # the first run looks at each record once, then sets it aside
    clock.advance(timedelta(days=1))
    signup(store, "today", "today@example.jp", clock.now().isoformat())
    before = store.items_read
    summary = purge(store, clock, Retention())
    # The periods setting and the one signup written since: the same whatever the history.
    assert store.items_read - before == 2
    assert summary.as_dict()["deleted"] == {}
    assert len(store.query("seminar_signup")) == history + 1


def test_a_shortened_period_applies_to_what_is_stored_and_a_longer_one_keeps_it(
    store: Store, clock: FixedClock
) -> None:
    _old_signups(store, clock, 3)  # signed up 10, 11 and 12 days ago
    purge(store, clock, Retention())  # kept 3 years: each now waits for its period's end
    assert all(s.data["purge_at"] > "2029" for s in store.query("seminar_signup"))
    # Records kept 10 days from now on: the two older ones go at once, not in three years.
    summary = purge(store, clock, Retention(tracking_days=5, records_days=10))
    assert summary.deleted["seminar_signup"] == 2
    assert [s.key for s in store.query("seminar_signup")] == ["s000"]
    # A longer period again: the signup comes up at its old end and moves on to the new one.
    clock.advance(timedelta(days=2))
    assert purge(store, clock, Retention(records_days=400)).as_dict()["deleted"] == {}
    (kept,) = store.query("seminar_signup")
    assert kept.data["purge_at"].startswith(
        (clock.now() - timedelta(days=12) + timedelta(days=400)).date().isoformat()
    )
