"""A synthetic campaign of companies (faker's `ja_JP` provider) for the dashboard's tests and for
`make bench` (registered in `bench.core`):

- dashboard build: `campaign stats` (read the rows, count, render the HTML page) over 1,000
  companies, as a ratio to reading the same rows alone (goal: at most 3x).
"""

from __future__ import annotations

import random
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from faker import Faker

from bench.core import Measurement, Options, benchmark, interleaved
from campaign_core.store import Put, Store
from campaign_core.store.sqlite import SQLiteStore
from hq.stats import build_stats, load_rows
from hq.stats_output import render_html

NOW = datetime(2027, 1, 15, 3, 0, tzinfo=UTC)
START = datetime(2026, 9, 1, 0, 0, tzinfo=UTC)
PARTICIPANTS = 10
BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"
# A few large chambers and a long tail of small ones, so some groups fall under five companies.
CHAMBERS = [
    ("sapporo", "札幌商工会議所", 30.0),
    ("sendai", "仙台商工会議所", 20.0),
    ("niigata", "新潟商工会議所", 12.0),
    *((f"small{i}", f"小規模{i}商工会議所", 0.2) for i in range(20)),
]


@dataclass
class Expected:
    """What the generator wrote, counted independently of `hq.stats`."""

    companies: int = 0
    seminar: int = 0
    drill: int = 0
    oneshot: int = 0
    drill_states: Counter[str] = field(default_factory=Counter)
    chambers: Counter[str] = field(default_factory=Counter)
    prefectures: Counter[str] = field(default_factory=Counter)
    funnel: list[int] = field(default_factory=lambda: [0, 0, 0, 0])
    sent: Counter[str] = field(default_factory=Counter)  # by variant
    reported: Counter[str] = field(default_factory=Counter)
    clicked: Counter[str] = field(default_factory=Counter)
    emails: set[str] = field(default_factory=set)


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat()


def synthetic_campaign(store: Store, companies: int = 1000, seed: int = 6) -> Expected:
    fake = Faker("ja_JP")
    fake.seed_instance(seed)
    rng = random.Random(seed)  # noqa: S311 (synthetic data, not secrets)
    expected = Expected(companies=companies)
    ops: list[Put] = []

    def flush(force: bool = False) -> None:
        while len(ops) >= 100 or (force and ops):
            store.transact(ops[:100])
            del ops[:100]

    weights = [w for _, _, w in CHAMBERS]
    span = (NOW - START).total_seconds() - 60 * 24 * 3600
    for number in range(companies):
        company = f"{fake.company()}{number}"
        prefecture = fake.prefecture()
        code, chamber_name, _ = rng.choices(CHAMBERS, weights)[0]
        chamber = {"code": code, "name": chamber_name}
        member = rng.choice(["member", "non_member", "non_member", "unknown"])
        domain = f"c{number}.example.jp"
        officer = f"officer@{domain}"
        expected.emails.add(officer)
        at = START + timedelta(seconds=rng.uniform(0, span))
        consent = {"version": "2026-11", "at": _iso(at)}
        seminar = rng.random() < 0.6
        if seminar:
            expected.seminar += 1
            ops.append(
                Put(
                    "seminar_signup",
                    f"s{number}",
                    {
                        "company": company,
                        "name": fake.name(),
                        "email": officer,
                        "prefecture": prefecture,
                        "chamber": chamber,
                        "member": member,
                        "consent": consent,
                        "signed_up_at": _iso(at),
                    },
                )
            )
        if rng.random() < 0.25:
            expected.oneshot += 1
            confirmed = rng.random() < 0.7
            ops.append(
                Put(
                    "oneshot",
                    f"o{number}",
                    {
                        "status": "confirmed" if confirmed else "pending",
                        "email": officer,
                        "company": company,
                        "consent": consent,
                        "requested_at": _iso(at),
                    },
                    expires_at=None if confirmed else at + timedelta(hours=72),
                )
            )
        if rng.random() >= 0.7:
            flush()
            continue
        expected.drill += 1
        applied = at + timedelta(days=rng.randint(0, 10))
        state = rng.choices(["accepted", "expired", "waiting"], [85, 12, 3])[0]
        expected.drill_states[state] += 1
        confirm_by = NOW + timedelta(hours=10) if state == "waiting" else applied + timedelta(hours=72)
        app_id = f"a{number:05d}"
        ops.append(
            Put(
                "application",
                app_id,
                {
                    "status": "accepted" if state == "accepted" else "pending",
                    "company": company,
                    "prefecture": prefecture,
                    "chamber": chamber,
                    "member": member,
                    "officer_name": fake.name(),
                    "officer_email": officer,
                    "participants": [
                        {"email": f"p{i}@{domain}", "status": "domain"} for i in range(PARTICIPANTS)
                    ],
                    "consent": consent,
                    "applied_at": _iso(applied),
                    "confirm_by": _iso(confirm_by),
                },
            )
        )
        if state != "accepted":
            flush()
            continue
        expected.chambers[chamber_name] += 1
        expected.prefectures[prefecture] += 1
        variant = rng.choice(["obvious", "subtle"])
        window = applied + timedelta(days=7)
        month = window.month
        ops.append(
            Put(
                "drill",
                app_id,
                {
                    "application_id": app_id,
                    "company": company,
                    "chamber": chamber,
                    "month": month,
                    "variant": variant,
                    "window_start": _iso(window),
                    "window_end": _iso(window + timedelta(days=2)),
                },
            )
        )
        any_report = False
        report_chance = 0.55 if variant == "obvious" else 0.3
        for person in range(PARTICIPANTS):
            key = f"{app_id}-{person:02d}"
            sent_at = window + timedelta(hours=person)
            ops.append(
                Put(
                    "drill_message",
                    key,
                    {
                        "application_id": app_id,
                        "purpose": "drill",
                        "email": f"p{person}@{domain}",
                        "company": company,
                        "month": month,
                        "variant": variant,
                        "state": "sent",
                        "sent_at": _iso(sent_at),
                    },
                )
            )
            expected.sent[variant] += 1
            if rng.random() < 0.2:
                expected.clicked[variant] += 1
                ops.append(
                    Put("drill_event", f"{key}.c", _click(key, app_id, sent_at + timedelta(minutes=15)))
                )
            if rng.random() < report_chance:
                expected.reported[variant] += 1
                any_report = True
                reported_at = sent_at + timedelta(minutes=rng.randint(5, 600))
                ops.append(
                    Put(
                        "drill_check",
                        key,
                        {"application_id": app_id, "reported": "yes", "reported_at": _iso(reported_at)},
                    )
                )
        followed = any_report and rng.random() < 0.8
        if followed:
            ops.append(
                Put(
                    "drill_notice",
                    f"followup-{app_id}-00",
                    {
                        "application_id": app_id,
                        "purpose": "followup",
                        "state": "sent",
                        "email": f"p0@{domain}",
                    },
                )
            )
        flush()
    flush(force=True)
    # The funnel, from what was written (company names are unique by construction).
    seminar_companies = {r.data["company"] for r in store.query("seminar_signup")}
    drills = {r.key: r.data["company"] for r in store.query("application", where={"status": "accepted"})}
    reported = {str(r.data["application_id"]) for r in store.query("drill_check")}
    followed_up = {str(r.data["application_id"]) for r in store.query("drill_notice")}
    with_drill = seminar_companies & set(drills.values())
    with_report = with_drill & {drills[a] for a in reported}
    with_followup = with_report & {drills[a] for a in followed_up}
    expected.funnel = [len(seminar_companies), len(with_drill), len(with_report), len(with_followup)]
    return expected


def _click(key: str, application_id: str, at: datetime) -> dict[str, Any]:
    return {
        "message": key,
        "application_id": application_id,
        "purpose": "drill",
        "type": "click",
        "link": None,
        "at": _iso(at),
        "user_agent": BROWSER,
        "client": f"198.51.100.{zlib.crc32(key.encode()) % 250}",
        "method": "GET",
        "prefetch": False,
    }


@benchmark("HQ dashboard build (1,000 companies vs reading the rows)", goal=3.0)
def dashboard_build(options: Options) -> Measurement:
    directory = options.workdir / "dashboard"
    directory.mkdir(parents=True)
    store = SQLiteStore(directory / "campaign.sqlite3")
    expected = synthetic_campaign(store)

    def build() -> None:
        stats = build_stats(load_rows(store), NOW)
        if stats.totals["drill"] != expected.drill or "<svg" not in render_html(stats):
            raise RuntimeError("the dashboard did not count the whole campaign")

    def read_rows() -> None:
        load_rows(store)

    result = interleaved(build, read_rows, options.repeat)
    store.close()
    return Measurement(result.measured, result.baseline, result.detail)
