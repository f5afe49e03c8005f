"""`campaign leads`: only non-members with a valid consent, never anyone else (a property test over
random mixes of records), as formula-safe CSV with a byte order mark, with an audit line."""

from __future__ import annotations

import csv
import io
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from campaign_core.clock import FixedClock
from campaign_core.settings import Settings
from campaign_core.store import Store
from campaign_core.store.sqlite import SQLiteStore
from cli.main import cli
from hq import audit
from hq.leads import build_leads, consent_of, render_csv
from tests.support.hq import audit_who, hq_command_env

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
ADDRESSES = [f"p{i}@example.jp" for i in range(6)]

consents = st.one_of(
    st.just({"version": "2026-11", "at": "2026-11-20T01:00:00+00:00"}),  # valid
    st.just({"version": "2026-10", "at": "2026-10-02T01:00:00+00:00"}),  # valid, older
    st.none(),  # no consent recorded
    st.just({}),
    st.just({"version": "", "at": "2026-11-20T01:00:00+00:00"}),
    st.just({"version": "2026-11", "at": "not a time"}),
    st.just({"version": "2026-11", "at": "2027-01-01T00:00:00+00:00"}),  # in the future
    st.just({"version": "2026-11"}),
    st.just("yes"),
)
records = st.lists(
    st.fixed_dictionaries(
        {
            "kind": st.sampled_from(["seminar_signup", "application"]),
            "email": st.sampled_from(ADDRESSES).map(lambda a: a.upper() if a.endswith("3@example.jp") else a),
            "member": st.sampled_from(["member", "non_member", "unknown", None]),
            "consent": consents,
            "status": st.sampled_from(["accepted", "pending", "expired"]),
            "chamber": st.sampled_from(["sapporo", "sendai"]),
            "suppressed": st.booleans(),
        }
    ),
    max_size=12,
)


def _store_record(store: Store, index: int, r: dict[str, Any]) -> None:
    data: dict[str, Any] = {
        "company": '=HYPERLINK("http://evil.example")',
        "prefecture": "北海道",
        "chamber": {"code": r["chamber"], "name": f"{r['chamber']}商工会議所"},
    }
    if r["member"] is not None:
        data["member"] = r["member"]
    if r["consent"] is not None:
        data["consent"] = r["consent"]
    if r["kind"] == "seminar_signup":
        data.update({"email": r["email"], "name": "参加 者", "signed_up_at": "2026-11-20T01:00:00+00:00"})
    else:
        data.update({"officer_email": r["email"], "officer_name": "担当 者", "status": r["status"]})
    store.put_new(r["kind"], f"k{index}", data)
    if r["suppressed"]:
        store.put_new("suppressed", r["email"].lower(), {"email": r["email"].lower()})


@settings(max_examples=150, deadline=None)
@given(records)
def test_leads_never_include_anyone_without_consent(mix: list[dict[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = SQLiteStore(Path(folder) / "leads.sqlite3")
        try:
            for index, record in enumerate(mix):
                _store_record(store, index, record)
            leads = build_leads(store, NOW)
        finally:
            store.close()
    emitted = {lead.email for lead in leads}
    assert len(emitted) == len(leads)

    def counts(r: dict[str, Any]) -> bool:
        valid = consent_of({"consent": r["consent"]}, NOW) is not None
        eligible = r["kind"] == "seminar_signup" or r["status"] == "accepted"
        return valid and eligible and r["member"] == "non_member"

    members = {r["email"].lower() for r in mix if r["member"] == "member"}
    suppressed = {r["email"].lower() for r in mix if r["suppressed"]}
    expected = {r["email"].lower() for r in mix if counts(r)} - members - suppressed
    assert emitted == expected
    for lead in leads:
        backing = [r for r in mix if r["email"].lower() == lead.email and counts(r)]
        assert backing, f"{lead.email} appears without a consenting non-member record"
        assert (lead.consent_version, lead.consent_at.isoformat()) in {
            (r["consent"]["version"], r["consent"]["at"]) for r in backing
        }
    rows = list(csv.reader(io.StringIO(render_csv(leads).decode("utf-8-sig"))))
    assert [row[0] for row in rows[1:]] == [lead.email for lead in leads]


def test_leads_csv_is_formula_safe_with_bom_filtered_and_audited(
    store: Store, settings: Settings, clock: FixedClock, tmp_path: Path
) -> None:
    records = [
        {"kind": "seminar_signup", "email": "a@example.jp", "member": "non_member", "chamber": "sapporo"},
        {"kind": "application", "email": "a@example.jp", "member": "non_member", "chamber": "sapporo"},
        {"kind": "seminar_signup", "email": "b@example.jp", "member": "non_member", "chamber": "sendai"},
        {"kind": "seminar_signup", "email": "c@example.jp", "member": "member", "chamber": "sapporo"},
    ]
    for index, record in enumerate(records):
        consent = {"version": "2026-11", "at": (clock.now() - timedelta(days=index)).isoformat()}
        _store_record(store, index, {**record, "consent": consent, "status": "accepted", "suppressed": False})
    store.put_new("drill", "k1", {"report_sent_at": clock.now().isoformat()})
    output = tmp_path / "leads.csv"
    environment = hq_command_env(settings, clock, "honbu-ito")
    args = ["leads", "--format", "csv", "--chamber", "sapporo", "--output", str(output)]
    result = CliRunner().invoke(cli, args, env=environment, catch_exceptions=False)
    assert result.exit_code == 0, result.output

    raw = output.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    header, *rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert header[0] == "メールアドレス" and len(rows) == 1
    (row,) = rows
    assert row[0] == "a@example.jp"
    assert row[2] == '\'=HYPERLINK("http://evil.example")'
    assert row[5] == "セミナー・訓練・訓練レポート受領"
    assert row[6] == "2026-11"
    (line,) = audit.lines(store)
    assert line.data["who"] == audit_who(environment) and line.data["command"] == "leads"
    assert line.data["details"] == {"since": "", "chamber": "sapporo", "format": "csv", "rows": 1}
    assert "example.jp" not in repr(line.data)

    since = (clock.now() - timedelta(days=2, hours=12)).isoformat()
    later = CliRunner().invoke(cli, ["leads", "--since", since], env=environment, catch_exceptions=False)
    assert "a@example.jp" in later.output and "b@example.jp" in later.output
    assert "c@example.jp" not in later.output
    assert "会員になってくれそうな方: 2 件" in later.output
    recent = (clock.now() - timedelta(hours=12)).isoformat()
    narrow = CliRunner().invoke(cli, ["leads", "--since", recent], env=environment, catch_exceptions=False)
    assert "会員になってくれそうな方: 1 件" in narrow.output and "b@example.jp" not in narrow.output
    assert sorted(r.data["details"]["rows"] for r in audit.lines(store)) == [1, 1, 2]


def test_leads_come_by_chamber_and_say_whether_the_membership_offer_was_made(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "leads.sqlite3")
    consent = {"version": "2026-11", "at": "2026-11-20T01:00:00+00:00"}
    base = {"member": "non_member", "consent": consent, "prefecture": "北海道", "company": "株式会社テスト"}
    sendai = {"code": "sendai", "name": "仙台商工会議所"}
    sapporo = {"code": "sapporo", "name": "札幌商工会議所"}
    try:
        # a: a seminar reply carried the offer; b: nothing carried it yet (signed up before the kit
        # offered membership); c: the report mail of c's drill carried it; d: no chamber given.
        store.put_new(
            "seminar_signup",
            "s1",
            {
                **base,
                "email": "a@example.jp",
                "chamber": sendai,
                "membership_offered_at": "2026-11-20T01:00:00+00:00",
            },
        )
        store.put_new("seminar_signup", "s2", {**base, "email": "b@example.jp", "chamber": sapporo})
        store.put_new(
            "application",
            "k3",
            {**base, "officer_email": "c@example.jp", "status": "accepted", "chamber": sendai},
        )
        store.put_new(
            "drill",
            "k3",
            {
                "report_sent_at": "2026-11-25T01:00:00+00:00",
                "membership_offered_at": "2026-11-25T01:00:00+00:00",
            },
        )
        store.put_new("seminar_signup", "s4", {**base, "email": "d@example.jp"})
        leads = build_leads(store, NOW)
    finally:
        store.close()
    assert [(lead.email, lead.chamber_name) for lead in leads] == [
        ("a@example.jp", "仙台商工会議所"),
        ("c@example.jp", "仙台商工会議所"),
        ("b@example.jp", "札幌商工会議所"),
        ("d@example.jp", ""),
    ]
    assert [lead.offer_label() for lead in leads] == [
        "案内済み(2026-11-20)",
        "案内済み(2026-11-25)",
        "未案内",
        "未案内",
    ]
    header, *rows = list(csv.reader(io.StringIO(render_csv(leads).decode("utf-8-sig"))))
    assert header[-1] == "入会のご案内" and [row[-1] for row in rows][1] == "案内済み(2026-11-25)"
