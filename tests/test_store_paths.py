"""No request or scheduler path reads a whole record kind: `Store.query` (the staff-only full
read) is called only where this file lists it. The list holds what is still to move onto a keyed
read; it may only shrink (a new call anywhere else fails here)."""

from __future__ import annotations

import ast
from pathlib import Path

from campaign_core.settings import PROJECT_ROOT

GUARDED = ("form_lambda", "drill_sender", "hq/retention.py")
# (module, function) pairs still reading a whole kind, to be moved to the `due` / `purge` indexes:
# none left. (The purge's one full pass after a retention period is shortened is a migration step,
# `campaign_core.store.migrate.restart_periods`, outside these paths.)
REMAINING: set[tuple[str, str]] = set()


def whole_kind_reads(project: Path = PROJECT_ROOT) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for guarded in GUARDED:
        root = project / guarded
        if not root.exists():
            continue
        for path in [root] if root.is_file() else sorted(root.rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for function in ast.walk(tree):
                if not isinstance(function, ast.FunctionDef):
                    continue
                for node in ast.walk(function):
                    if (
                        isinstance(node, ast.Call)
                        and isinstance(node.func, ast.Attribute)
                        and node.func.attr in ("query", "scan_kind")
                    ):
                        found.add((str(path.relative_to(project)), function.name))
    return found


def test_no_request_or_scheduler_path_reads_a_whole_kind_beyond_the_known_list() -> None:
    assert whole_kind_reads() <= REMAINING


def test_the_check_finds_a_whole_kind_read(tmp_path: Path) -> None:
    # The check itself can fail: the tracking hit read a whole kind before the keyed reads.
    services = tmp_path / "drill_sender" / "services"
    services.mkdir(parents=True)
    (services / "tracking.py").write_text(
        "def record_hit(deps):\n    return deps.store.query('drill_event', where={'message': 'm'})\n"
    )
    assert whole_kind_reads(tmp_path) == {("drill_sender/services/tracking.py", "record_hit")}
    assert not whole_kind_reads(tmp_path) <= REMAINING
