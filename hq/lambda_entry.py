"""Lambda entry of HQ's daily purge.

`purge_handler` runs what `campaign purge` runs (and the local server once a day) on a daily
EventBridge schedule: it removes what is past its retention period and writes the audit line.
"""

from __future__ import annotations

import json
from typing import Any

from campaign_core.aws import Event, runtime
from hq.retention import purge_and_audit

RUNTIME = runtime()


def purge_handler(event: Event, context: Any) -> dict[str, Any]:
    summary = purge_and_audit(RUNTIME.store, RUNTIME.clock, RUNTIME.resolved_settings(), who="scheduler")
    print(json.dumps({"purge": summary}), flush=True)  # counts only: no addresses in the logs
    return summary
