"""Lambda entry of SES bounce and complaint notifications (configuration set -> SNS)."""

from __future__ import annotations

import json
from typing import Any

from campaign_core.aws import Event, runtime
from campaign_core.ses_events import record_sns_event

RUNTIME = runtime()


def ses_events_handler(event: Event, context: Any) -> dict[str, Any]:
    added = record_sns_event(RUNTIME.store, RUNTIME.clock, event)
    result = {"records": len(event.get("Records", [])), "suppressed": len(added)}
    print(json.dumps({"ses_events": result}), flush=True)
    return result
