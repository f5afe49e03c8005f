"""Lambda entries of the drill's background work: the scheduled sender and forwarded reports.

`send_due_handler` runs what `campaign send-due` runs, on an EventBridge schedule, and then mails
the officers the reports whose reporting period has passed (`report_due.scheduler_run`); it stops taking
new messages 30 s before the invocation's timeout (claims and leases make the next run go on).
`inbound_handler` gets SES receiving's event for mail to the report address, after the receipt
rule stored the raw mail in S3; it records the report as the local SMTP listener does.
"""

from __future__ import annotations

import json
from typing import Any

from campaign_core.aws import Event, InboundMailbox, runtime, stop_before_timeout
from campaign_core.deps import Deps
from drill_sender.inbound import record_report
from drill_sender.services.report_due import scheduler_run

RUNTIME = runtime()


def send_due_handler(event: Event, context: Any) -> dict[str, Any]:
    summary = scheduler_run(_deps(), stop=stop_before_timeout(context))
    counts = {key: value for key, value in summary.as_dict().items() if key != "messages"}
    print(json.dumps({"send_due": counts}), flush=True)  # counts only: no addresses in the logs
    return counts


def _deps() -> Deps:
    return Deps(
        store=RUNTIME.store, mailer=RUNTIME.mailer, clock=RUNTIME.clock, settings=RUNTIME.resolved_settings()
    )


def inbound_handler(event: Event, context: Any) -> dict[str, Any]:

    deps = _deps()
    mailbox = InboundMailbox(deps.settings.aws)
    counts = {"recorded": 0, "unmatched": 0, "infected": 0}
    for record in event.get("Records", []):
        ses = record["ses"]
        message_id = str(ses["mail"]["messageId"])
        if ses.get("receipt", {}).get("virusVerdict", {}).get("status") == "FAIL":
            counts["infected"] += 1  # not opened; dropped
        else:
            counts[record_report(deps, mailbox.read(message_id)).status] += 1
        mailbox.delete(message_id)  # only after it was handled: a failed run is retried by Lambda
    print(json.dumps({"inbound": counts}), flush=True)
    return counts
