"""Lambda entries of the drill: the tracking app (`/t/*`) and the scheduled sender.

`send_due_handler` runs what `campaign send-due` runs, on an EventBridge schedule; it stops taking
new messages 30 s before the invocation's timeout (claims and leases make the next run go on).
"""

from __future__ import annotations

import json
from typing import Any

from campaign_core.aws import Event, make_handler, runtime, stop_before_timeout
from drill_sender import create_app
from drill_sender.services.deps import DrillDeps
from drill_sender.services.send import send_due

RUNTIME = runtime()
handler = make_handler(
    create_app(RUNTIME.settings, store=RUNTIME.store, mailer=RUNTIME.mailer, clock=RUNTIME.clock)
)


def send_due_handler(event: Event, context: Any) -> dict[str, Any]:
    deps = DrillDeps(
        store=RUNTIME.store, mailer=RUNTIME.mailer, clock=RUNTIME.clock, settings=RUNTIME.resolved_settings()
    )
    summary = send_due(deps, stop=stop_before_timeout(context))
    counts = {key: value for key, value in summary.as_dict().items() if key != "messages"}
    print(json.dumps({"send_due": counts}), flush=True)  # counts only: no addresses in the logs
    return counts
