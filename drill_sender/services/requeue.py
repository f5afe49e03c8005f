"""Put messages that failed by mistake back in the queue (`campaign requeue`).

A message is marked failed for good when the relay or SES refused it for that recipient; when
that was a mistake (a mailbox that was full for a day, a relay misconfigured for an afternoon),
staff requeue it: scheduled again, due at once, with a fresh count of attempts. Only failed
messages move; a sent one is never sent twice. Lookups are direct gets: the drill record lists its
messages, and each notice's key is the purpose and the drill message's key.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from campaign_core.deps import Deps
from campaign_core.drill_records import Drill, DrillMessage, read_mail
from campaign_core.form_records import OneshotRequest
from campaign_core.records import DRILL, MESSAGE, NOTICE, ONESHOT
from drill_sender.services.drill_state import change_drill
from drill_sender.services.oneshot_queue import ONESHOT_PREFIX

NOTICE_PURPOSES = ("reveal", "followup")


@dataclass
class RequeueResult:
    requeued: list[str] = field(default_factory=list)
    not_failed: list[tuple[str, str]] = field(default_factory=list)  # (key, its state)
    unknown: list[str] = field(default_factory=list)


def _find(deps: Deps, key: str) -> DrillMessage | None:
    """The drill mail or notice (`DrillNotice`) of `key`."""
    for kind in (NOTICE, MESSAGE) if key.startswith(NOTICE_PURPOSES) else (MESSAGE, NOTICE):
        record = deps.store.get(kind, key)
        if record is not None:
            return read_mail(record)
    return None


def application_message_keys(deps: Deps, application_id: str) -> list[str] | None:
    """The drill mails of an application and their reveal and follow-up mails (None: no drill)."""
    record = deps.store.get(DRILL, application_id)
    if record is None:
        return None
    keys = list(Drill.from_record(record).messages)
    return [*keys, *(f"{purpose}-{key}" for purpose in NOTICE_PURPOSES for key in keys)]


def requeue(deps: Deps, keys: Iterable[str], *, only_found: frozenset[str] = frozenset()) -> RequeueResult:
    """Requeue each failed message among `keys`; keys in `only_found` that do not exist are not
    reported as unknown (an application's notices that were never planned)."""
    result = RequeueResult()
    now = deps.now()
    drills_to_replan: set[str] = set()
    for key in dict.fromkeys(keys):
        found = _find(deps, key)
        if found is None:
            if key not in only_found:
                result.unknown.append(key)
            continue
        mail = found
        kind, state = mail.KIND, mail.state
        if state != "failed":
            if key not in only_found:
                result.not_failed.append((key, state))
            continue
        changes = DrillMessage.changes(
            state="scheduled",
            next_attempt_at=now,
            due_at=now,
            attempts=0,
            lease_until=None,
            claimed_by=None,
            failed_at=None,
            requeued_at=now,
            previous_error=mail.last_error,
        )
        if not deps.store.update(kind, key, changes, expect_version=mail.version):
            result.not_failed.append((key, "changed"))  # someone else touched it just now
            continue
        result.requeued.append(key)
        if kind == MESSAGE and mail.purpose == "oneshot":
            deps.store.update(
                ONESHOT, key.removeprefix(ONESHOT_PREFIX), OneshotRequest.changes(send_status="queued")
            )
        elif kind == MESSAGE and mail.application_id:
            drills_to_replan.add(mail.application_id)
    for application_id in drills_to_replan:
        # Reveal and follow-up are planned once every drill mail is sent or failed: plan them
        # again after this one goes (notice keys are fixed, so nobody gets two).
        change_drill(deps, application_id, Drill.changes(followups_planned=False))
    return result
