"""The daily purge on AWS: `purge_handler` driven by an EventBridge schedule event against the moto
server deletes what is past its retention period, keeps the rest and writes its audit line; the
template schedules it once a day with table rights only for what purge does."""

from __future__ import annotations

import json
from typing import Any

import pytest

from campaign_core.records import APPLICATION, SIGNUP
from hq import audit
from tests.support.aws_events import Context, scheduled_event
from tests.support.aws_lambdas import Lambdas
from tests.support.aws_template import resources
from tests.support.hq import signup

OLD_ADDRESS = "old-signup@kako.example.jp"
NEW_ADDRESS = "new-signup@ima.example.jp"
PENDING_ADDRESS = "never-confirmed@kako.example.jp"


def test_scheduled_purge_deletes_expired_records_and_writes_an_audit_line(
    lambdas: Lambdas, capsys: pytest.CaptureFixture[str]
) -> None:
    store = lambdas.runtime.store
    # "Now" is 2026-11-30 (conftest); records are kept 3 years, unconfirmed ones 30 days.
    signup(store, "old", OLD_ADDRESS, "2023-06-01T10:00:00+09:00")
    signup(store, "new", NEW_ADDRESS, "2026-10-01T10:00:00+09:00")
    store.put_new(
        APPLICATION,
        "pending-old",
        {
            "status": "pending",
            "officer_email": PENDING_ADDRESS,
            "applied_at": "2026-08-01T10:00:00+09:00",
            "confirm_by": "2026-08-08T10:00:00+09:00",
        },
    )
    assert audit.lines(store) == []

    result = lambdas.hq.purge_handler(scheduled_event(), Context())

    assert store.get(SIGNUP, "old") is None
    assert store.get(APPLICATION, "pending-old") is None
    kept = store.get(SIGNUP, "new")
    assert kept is not None and kept.data["email"] == NEW_ADDRESS
    assert result["deleted"] == {APPLICATION: 1, SIGNUP: 1}

    lines = audit.lines(store)
    assert len(lines) == 1
    line = lines[0].data
    assert line["command"] == "purge"
    assert line["who"] == "scheduler"
    assert line["at"].startswith("2026-11-30T00:00:00")  # the Lambda's clock (09:00 JST)
    assert line["details"]["deleted"] == {APPLICATION: 1, SIGNUP: 1}
    # Neither the audit line nor the function's log names anyone.
    logged = capsys.readouterr().out
    assert json.loads(logged.strip().splitlines()[-1]) == {"purge": result}
    for text in (json.dumps(line, ensure_ascii=False), logged):
        assert "@" not in text and "佐藤" not in text

    # A second run (EventBridge may deliver twice) finds nothing more and says so.
    again = lambdas.hq.purge_handler(scheduled_event(), Context())
    assert again["deleted"] == {}
    runs = sorted(json.dumps(r.data["details"]["deleted"], sort_keys=True) for r in audit.lines(store))
    assert runs == sorted(
        ["{}", json.dumps({APPLICATION: 1, SIGNUP: 1}, sort_keys=True)]
    )  # same pinned clock


def _purge_function() -> dict[str, Any]:
    functions = resources("AWS::Serverless::Function")
    named = [f for f in functions.values() if f["Properties"]["Handler"].endswith(".purge_handler")]
    assert len(named) == 1
    return named[0]["Properties"]


def test_the_template_runs_purge_once_a_day_with_only_the_table_rights_it_needs() -> None:
    function = _purge_function()
    assert function["Handler"] == "hq.lambda_entry.purge_handler"
    schedules = [e["Properties"] for e in function["Events"].values() if e["Type"] == "ScheduleV2"]
    assert len(schedules) == 1
    expression = schedules[0]["ScheduleExpression"]
    # Once a day: a cron with fixed minute and hour and every day, or rate(1 day).
    if expression.startswith("cron("):
        minute, hour, day, month, weekday, year = expression[5:-1].split()
        assert minute.isdigit() and hour.isdigit()
        assert (day, month, weekday, year) == ("*", "*", "?", "*")
    else:
        assert expression == "rate(1 day)"
    assert function["Timeout"] <= 900
    statements = [
        (s["Action"] if isinstance(s["Action"], list) else [s["Action"]], s["Resource"])
        for p in function["Policies"]
        for s in p["Statement"]
    ]
    actions = {a for granted, _ in statements for a in granted}
    assert actions == {
        "dynamodb:GetItem",
        "dynamodb:Query",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "ssm:GetParameter",
    }
    table = [target for granted, target in statements if any(a.startswith("dynamodb:") for a in granted)]
    # The stack's table, or the one restored from a backup (RestoredTableName), its `by_app` index
    # (one drill's records) and its `purge` index (what to look at): no other index, no other table.
    assert [[t["Fn::If"][2] for t in targets] for targets in table] == [
        [
            {"Fn::GetAtt": "Table.Arn"},
            {"Fn::Sub": "${Table.Arn}/index/by_app"},
            {"Fn::Sub": "${Table.Arn}/index/purge"},
        ]
    ]
    # Its failures reach staff like the sender's, and its log is kept no longer than the others.
    alarms = resources("AWS::CloudWatch::Alarm").values()
    watched = {d["Value"].get("Ref") for a in alarms for d in a["Properties"].get("Dimensions", [])}
    name = next(n for n, f in resources("AWS::Serverless::Function").items() if f["Properties"] is function)
    assert name in watched
