"""Confirmed one-shot requests become queued sample mails: one message each, keyed by the request,
so a second run (or a second runner) queues nothing twice. The scheduler's run calls this first."""

from __future__ import annotations

from campaign_core.clock import JST
from campaign_core.deps import Deps
from campaign_core.form_records import OneshotRequest
from campaign_core.records import MESSAGE, ONESHOT
from drill_sender.services.schedule import new_message

ONESHOT_VARIANT = "obvious"
ONESHOT_PREFIX = "oneshot-"


def queue_oneshots(deps: Deps, *, dry_run: bool = False) -> int:
    """A message for each confirmed one-shot request not yet queued (the key makes it idempotent).
    Confirmation puts a request in the `due` index; queueing takes it out, so a run reads only the
    requests confirmed since the last run."""
    now = deps.now()
    queued = 0
    for request in map(OneshotRequest.from_record, deps.store.due(ONESHOT, now)):
        if request.wanted_due_at() is None:  # not confirmed, or queued already
            continue
        if dry_run:
            queued += 1
            continue
        key = f"{ONESHOT_PREFIX}{request.key}"
        deps.store.put_new(
            MESSAGE,
            key,
            new_message(
                deps,
                key,
                application_id="",
                email=request.email,
                company=request.company,
                month=now.astimezone(JST).month,
                variant=ONESHOT_VARIANT,
                send_at=now,
                purpose="oneshot",
            ),
        )
        changes = OneshotRequest.changes(send_status="queued", message_key=key, due_at=None)
        if deps.store.update(ONESHOT, request.key, changes, expect_version=request.version):
            queued += 1
    return queued
