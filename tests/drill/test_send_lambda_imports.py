"""What the drill Lambda functions import: the report function records forwarded mail with
`drill_sender.inbound`, which must not need aiosmtpd (only the local listener does; the tests of
forwarded reports start that listener and so prove it still imports it when it runs)."""

from __future__ import annotations

import subprocess
import sys

from campaign_core.settings import PROJECT_ROOT


def _modules_after(statement: str) -> set[str]:
    script = f"import sys\n{statement}\nprint('\\n'.join(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    )
    return set(done.stdout.split())


def test_recording_a_forwarded_report_does_not_import_aiosmtpd() -> None:
    loaded = _modules_after("from drill_sender.inbound import record_report")
    assert "drill_sender.inbound" in loaded
    assert not {name for name in loaded if name.split(".")[0] == "aiosmtpd"}
