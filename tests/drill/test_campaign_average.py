"""Reads that do not grow with the campaign's history, on SQLite and on DynamoDB (moto): the campaign
figures beside a drill report come from one summary record per fiscal year, kept equal to the sum
of the counted drills' own figures; the scheduler's drill and one-shot lists hold only what is
still open; a chamber's feedback reads that chamber's listing."""

from __future__ import annotations

import json
import random
import statistics
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from campaign_core.clock import JST, FixedClock
from campaign_core.deps import Deps
from campaign_core.records import CAMPAIGN_SUMMARY, CHAMBER_DRILL, DRILL, ONESHOT
from campaign_core.settings import Settings
from campaign_core.store import Store
from drill_sender.services.campaign_average import Figures, fiscal_year
from drill_sender.services.checksheet import load_sheet, save_sheet
from drill_sender.services.feedback import build_feedback, find_chamber
from drill_sender.services.oneshot_queue import queue_oneshots
from drill_sender.services.report import _figures, build_report
from drill_sender.services.report_due import hold_report, scheduler_run
from drill_sender.services.requeue import requeue
from drill_sender.services.schedule import schedule
from tests.support.drill import Run, SentDrill, accepted_application, confirmed_oneshot, staff


@pytest.mark.parametrize("seed", range(20))
def test_the_median_from_the_histogram_is_the_median_of_the_values(seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    values = [rng.randrange(0, 300) for _ in range(rng.randrange(1, 40))]
    figures = Figures(minutes=dict(Counter(values)))
    assert figures.median_minutes() == statistics.median(values)
    assert Figures.from_data(figures.to_data()) == figures
    assert Figures().median_minutes() is None


def test_fiscal_years_start_in_april_in_japan() -> None:
    assert fiscal_year(datetime(2027, 3, 31, 23, 59, tzinfo=JST)) == "fy2026"
    assert fiscal_year(datetime(2027, 4, 1, 0, 0, tzinfo=JST)) == "fy2027"
    assert fiscal_year(datetime(2027, 3, 31, 15, 0, tzinfo=JST).astimezone(JST)) == "fy2026"


def _recount(store: Store, deps: Deps) -> Figures:
    """What the summary must hold: the sum of every counted drill's own current figures."""
    total = Figures()
    for drill in store.query(DRILL):
        if "counted" in drill.data:
            total = total.plus(Figures.from_data(_figures(build_report(deps, drill.key).rows).to_data()))
    return total


def test_a_late_report_replaces_the_drills_figures_and_nothing_is_counted_twice(
    sent: Callable[..., SentDrill], store: Store, deps: Deps, clock: FixedClock
) -> None:
    first = sent(count=2)
    second = sent(count=3)
    for app in (first, second, first):
        build_report(deps, app.application_id)
    (summary,) = store.query(CAMPAIGN_SUMMARY)
    figures = Figures.from_data(summary.data)
    assert (figures.drills, figures.sent, figures.reported) == (2, 5, 0)

    # The officer of the first drill enters a report after the figures were counted.
    clock.advance(timedelta(minutes=5))
    (row, _) = load_sheet(deps, first.application_id).rows
    at = (clock.now() - timedelta(minutes=2)).astimezone(JST).strftime("%Y-%m-%dT%H:%M")
    assert (
        save_sheet(deps, first.application_id, {f"reported-{row.key}": "yes", f"reported_at-{row.key}": at})
        == {}
    )
    own = build_report(deps, first.application_id)  # its own report shows it, and recounts it
    assert (own.campaign.sent, own.campaign.reported, own.campaign_drills) == (5, 1, 2)
    other = build_report(deps, second.application_id)  # so the other drill's report sees it too
    assert (other.campaign.sent, other.campaign.reported, other.campaign_drills) == (5, 1, 2)
    (summary,) = store.query(CAMPAIGN_SUMMARY)
    assert Figures.from_data(summary.data) == _recount(store, deps)
    assert Figures.from_data(summary.data).reported == 1


def test_a_report_reads_its_own_drill_and_one_summary_not_the_campaign(
    sent: Callable[..., SentDrill], store: Store, settings: Settings, deps: Deps, clock: FixedClock
) -> None:
    mine, other = sent(count=2), sent(count=2)
    for drill in (mine, other):
        build_report(deps, drill.application_id)
    before = store.items_read
    build_report(deps, mine.application_id)
    one = store.items_read - before
    for _ in range(4):  # more of the campaign's history: other offices' drills and their mails
        schedule(deps, accepted_application(store, settings, clock, staff(3)), days=1)
    before = store.items_read
    build_report(deps, mine.application_id)
    assert store.items_read - before == one


def test_the_scheduler_sees_only_open_drills_and_waiting_oneshots(
    sent: Callable[..., SentDrill], store: Store, settings: Settings, deps: Deps, clock: FixedClock
) -> None:
    drill = sent(count=1)
    far = clock.now() + timedelta(days=365)
    assert [d.key for d in store.due(DRILL, far)] == [drill.application_id]
    clock.advance(timedelta(days=30))
    scheduler_run(deps)  # plans the reveal and follow-up, mails the report
    record = store.get(DRILL, drill.application_id)
    assert record is not None and record.data["report_state"] == "sent" and record.data["followups_planned"]
    assert store.due(DRILL, far) == []  # done: out of the scheduler's list
    assert store.query(CAMPAIGN_SUMMARY), "mailing the report counted the drill"
    # Staff requeue a mail of this drill: its reveal is planned again, so the drill is open again.
    message_key = record.data["messages"][0]
    store.update("drill_message", message_key, {"state": "failed", "last_error": "test"})
    assert requeue(deps, [message_key]).requeued == [message_key]
    assert [d.key for d in store.due(DRILL, far)] == [drill.application_id]
    assert hold_report(deps, "no-such-drill") is False

    confirmed_oneshot(store, settings, clock, "sample@test-corp.example.jp")
    assert len(store.due(ONESHOT, clock.now())) == 1
    assert queue_oneshots(deps) == 1
    assert store.due(ONESHOT, far) == []
    assert queue_oneshots(deps) == 0


def test_chamber_feedback_reads_the_chambers_own_listing_and_migrate_store_fills_it(
    store: Store, settings: Settings, deps: Deps, clock: FixedClock, run: Run
) -> None:
    sapporo = find_chamber(deps, "sapporo")
    mine = accepted_application(store, settings, clock, staff(2), company="株式会社札幌")
    schedule(deps, mine, days=1)
    before = store.items_read
    assert [r.company for r in build_feedback(deps, sapporo, start=None, end=None).rows] == ["株式会社札幌"]
    one = store.items_read - before
    for number in range(3):  # other chambers' drills: not read for Sapporo's list
        other = accepted_application(
            store, settings, clock, staff(2), company=f"よそ{number}", chamber="横浜商工会議所"
        )
        schedule(deps, other, days=1)
    before = store.items_read
    assert [r.company for r in build_feedback(deps, sapporo, start=None, end=None).rows] == ["株式会社札幌"]
    assert store.items_read - before == one

    # A store from before the listing: migrate-store lists every drill under its chamber.
    for entry in store.query(CHAMBER_DRILL):
        store.delete(CHAMBER_DRILL, entry.key)
    assert build_feedback(deps, sapporo, start=None, end=None).rows == ()
    migrated = run("migrate-store", "--json")
    assert migrated.exit_code == 0, migrated.output
    assert json.loads(migrated.output)["listed"] == 4
    assert [r.company for r in build_feedback(deps, sapporo, start=None, end=None).rows] == ["株式会社札幌"]
    assert json.loads(run("migrate-store", "--json").output)["listed"] == 0  # idempotent
