"""Every staff command of `campaign` that reads or changes personal data leaves one audit line: who
(`CAMPAIGN_STAFF`), when (the command's clock), which command and what it touched as counts and ids,
never an address or a name. Run as staff run them (click's runner) on SQLite."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from campaign_core.clock import FixedClock
from campaign_core.mail.suppression import suppress
from campaign_core.settings import Settings
from campaign_core.store import Store
from hq import audit
from tests.support.drill import OFFICER_DOMAIN, Run, accepted_application, staff

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

STAFF = "shibu-sato"
BOUNCED = "bounced@gone.example.jp"
NOW = "2026-12-01T10:00:00+09:00"  # the day after the drill's one-day window

#: command -> (its arguments, given the scheduled and the unscheduled application; what the line says)
COMMANDS: dict[str, tuple[Callable[[str, str], list[str]], dict[str, object]]] = {
    "applications": (lambda drill, other: ["applications", "--json"], {"rows": 2}),
    "schedule": (
        lambda drill, other: ["schedule", other, "--start", "2026-12-02", "--days", "1", "--no-mail"],
        {"messages": 1, "refused": 0},
    ),
    "send-due": (lambda drill, other: ["send-due"], {"sent": 2, "dry_run": False}),
    "show": (lambda drill, other: ["show", drill], {"participants": 2}),
    "sheet": (lambda drill, other: ["sheet", drill], {}),
    "report": (
        lambda drill, other: ["report", drill, "--format", "csv"],
        {"format": "csv", "participants": 2},
    ),
    "feedback": (lambda drill, other: ["feedback", "札幌商工会議所"], {"chamber": "sapporo", "companies": 1}),
    "suppressed": (lambda drill, other: ["suppressed"], {"rows": 1}),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_staff_command_leaves_one_audit_line_without_an_address(
    run: Run,
    store: Store,
    settings: Settings,
    clock: FixedClock,
    command: str,
) -> None:
    drill = accepted_application(store, settings, clock, staff(2))
    other = accepted_application(store, settings, clock, staff(1))
    assert run("schedule", drill, "--start", "2026-11-30", "--days", "1", "--no-mail").exit_code == 0
    if command != "send-due":
        assert run("send-due", now=NOW).exit_code == 0
    suppress(store, BOUNCED, reason="bounce", detail="550 5.1.1", now=clock.now())
    before = {line.key for line in audit.lines(store)}

    arguments, says = COMMANDS[command]
    result = run(*arguments(drill, other), now=NOW, CAMPAIGN_STAFF=STAFF)

    assert result.exit_code == 0, result.output
    new = [line.data for line in audit.lines(store) if line.key not in before]
    assert len(new) == 1, new
    (line,) = new
    assert line["command"] == command
    assert line["who"] == STAFF
    assert line["at"] == "2026-12-01T01:00:00+00:00"
    for name, value in says.items():
        assert line["details"][name] == value, line
    if command not in ("applications", "send-due", "suppressed", "feedback"):
        assert line["details"]["application_id"] in (drill, other)
    text = json.dumps(line, ensure_ascii=False)
    assert (
        "@" not in text and OFFICER_DOMAIN not in text and "山田" not in text and "gone.example" not in text
    )


def test_a_refused_command_touches_nothing_and_leaves_no_line(
    run: Run,
    store: Store,
) -> None:
    result = run("show", "f" * 32, CAMPAIGN_STAFF=STAFF)
    assert result.exit_code == 1
    assert audit.lines(store) == []
