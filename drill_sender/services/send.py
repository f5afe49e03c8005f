"""Send what is due: claim -> send -> mark, each step a conditional write on the message's version.

- A claim sets `state = "sending"` with a lease; only the runner whose write matched the version
  it read holds it, so a second runner (or a second `campaign send-due`) skips that message.
- Claims are written a batch at a time (one commit for up to 25 messages; fewer at a slow rate),
  marks one at a time, right after each send. A run that stops hands back what it claimed and did
  not send; a batch held past half its lease renews each lease before that message's send.
- After the relay accepted the mail, the mark (`state = "sent"`) is written on the claimed version.
- The run is one `mailer.session()` (SMTP keeps one connection for it); every mail is composed by
  `campaign_core.mail.compose`.
- A runner that crashed leaves the claim behind; once the lease has expired, a later run claims the
  message again. Only a crash in the instant between the relay's "250 OK" and the mark can lead to a
  second copy; the copy carries the same Message-ID, so mail systems can recognise it.
- SMTP 4xx and a connection lost mid-message put the message back with an exponential backoff;
  5xx and rejected addresses are recorded as failed and shown to staff (`campaign requeue` puts one
  failed by mistake back). Each failure logs one `{"event": "send_failed"}` line for the alarm.
- An account-level error (SES access denied, paused, throttled, sender not verified, sandbox; the
  relay unreachable or refusing our login or sender) fails every message alike: the run stops,
  the message and every other one stay scheduled as they were, and one `{"event": "send_stopped"}`
  line is logged. The next run tries again.
- Confirmed one-shot requests get their sample mail in the same run, through the same path.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from typing import Any

from campaign_core.clock import JST
from campaign_core.deps import MAX_BACKOFF, Deps
from campaign_core.drill_records import DrillMessage, DrillNotice, read_mail
from campaign_core.form_records import DrillApplication, OneshotRequest
from campaign_core.mail import AccountMailError, PermanentMailError, TransientMailError, compose
from campaign_core.mail.log import log_event, log_send_failed
from campaign_core.records import APPLICATION, MESSAGE, NOTICE, ONESHOT
from campaign_core.store import ConditionFailed, Record, Update
from drill_sender.services.followups import build_notice, plan_followups
from drill_sender.services.oneshot_queue import ONESHOT_PREFIX, queue_oneshots
from drill_sender.services.oneshot_status import mail_status_link
from drill_sender.services.pacing import Pacer
from drill_sender.templates import (
    DrillTemplate,
    RenderedMail,
    TemplateError,
    load_template,
    render,
    tracking_token,
)

CLAIM_BATCH = 25  # messages claimed in one write (DynamoDB takes up to 100 in a transaction)


@dataclass(frozen=True)
class Outcome:
    key: str
    email: str
    # "sent" | "retry" | "failed" | "skipped" (another runner holds it) | "due" (dry run)
    # | "stopped" (an account-level error: the message is scheduled as it was, the run ended)
    result: str
    detail: str = ""


@dataclass
class SendSummary:
    outcomes: list[Outcome] = field(default_factory=list)
    queued_oneshots: int = 0
    planned_followups: int = 0
    reports_sent: int = 0  # filled by the scheduler's run (services/report_due.scheduler_run)
    stopped: str = ""  # the account-level reason the run stopped at (AccountMailError.reason)

    def count(self, result: str) -> int:
        return sum(1 for o in self.outcomes if o.result == result)

    def as_dict(self) -> dict[str, Any]:
        return {
            "sent": self.count("sent"),
            "retry": self.count("retry"),
            "failed": self.count("failed"),
            "skipped": self.count("skipped"),
            "due": self.count("due"),
            "stopped": self.stopped,
            "queued_oneshots": self.queued_oneshots,
            "planned_followups": self.planned_followups,
            "reports_sent": self.reports_sent,
            "messages": [o.__dict__ for o in self.outcomes],
        }


def is_due(message: DrillMessage, now: datetime) -> bool:
    if message.state == "scheduled":
        if message.next_attempt_at is None:
            raise ValueError(f"scheduled message {message.key} has no next_attempt_at")
        return message.next_attempt_at <= now
    if message.state == "sending":  # a claim whose runner never came back
        return message.lease_until is None or message.lease_until <= now
    return False


def due_messages(deps: Deps, kind: str = MESSAGE) -> list[DrillMessage]:
    """The due drill mails (or, with NOTICE, reveal and follow-up mails: `DrillNotice`s)."""
    now = deps.now()
    # The sparse `due` index holds only records the scheduler still has work on; `is_due` stays
    # the rule (the index is the cheap way to the few candidates).
    found = [m for m in map(read_mail, deps.store.due(kind, now)) if is_due(m, now)]
    return sorted(found, key=lambda m: (m.next_attempt_at is None, m.next_attempt_at or now, m.key))


@functools.lru_cache(maxsize=32)
def _template(month: int, variant: str) -> DrillTemplate:
    """Parsed once per process: a run sends one month's mail to many people. Content edits are
    picked up by the next `campaign send-due` (a new process) or the server's restart."""
    return load_template(month, variant)


def render_for(deps: Deps, message: DrillMessage, *, token: str) -> RenderedMail:
    return render(
        _template(message.month, message.variant),
        base_url=deps.settings.base_url,
        token=token,
        recipient_email=message.email,
        company=message.company,
    )


def build_message(deps: Deps, message: DrillMessage | Record, *, now: datetime) -> EmailMessage:
    """The drill mail, from the drill's sending domain, with the Message-ID it was scheduled with
    (a stored `Record` is read as a `DrillMessage` first)."""
    if isinstance(message, Record):
        message = DrillMessage.from_record(message)
    rendered = render_for(deps, message, token=tracking_token(deps.signer, message.key))
    sender = Address(display_name=rendered.sender_name, addr_spec=rendered.sender_address(deps.drill_domain))
    # Dated in JST (+0900), as the mail of a Japanese office would be: a +0000 date is a clue
    # nobody should have to rely on.
    local = now.astimezone(JST)
    return compose(rendered, to=message.email, sender=sender, now=local, message_id=message.message_id)


class _Runner:
    def __init__(self, deps: Deps, runner_id: str) -> None:
        self.deps = deps
        self.runner_id = runner_id
        self._applications: dict[str, list[str]] = {}

    def may_mail(self, message: DrillMessage) -> bool:
        """Checked again at send time: a drill mail only to an address that is mailable now."""
        if message.purpose == "oneshot":
            return True  # the one-shot address confirmed by its own link before it was queued
        application_id = message.application_id
        if application_id not in self._applications:
            record = self.deps.store.get(APPLICATION, application_id)
            self._applications[application_id] = (
                DrillApplication.from_record(record).mailable() if record else []
            )
        return message.email in self._applications[application_id]

    def deliver(self, message: DrillMessage, *, now: datetime) -> str:
        deps = self.deps
        if isinstance(message, DrillNotice):
            return deps.mailer.send(build_notice(deps, message))
        return deps.mailer.send(build_message(deps, message, now=now))

    def backoff(self, attempts: int) -> timedelta:
        wait: timedelta = self.deps.backoff * (2 ** max(0, attempts - 1))
        return min(wait, max(self.deps.backoff, MAX_BACKOFF))

    def claim(self, message: DrillMessage, now: datetime, *, attempts: int | None = None) -> dict[str, Any]:
        lease_until = now + self.deps.lease
        return DrillMessage.changes(
            state="sending",
            lease_until=lease_until,
            due_at=lease_until,  # due again only if the runner never comes back
            claimed_by=self.runner_id,
            attempts=message.attempts + 1 if attempts is None else attempts,
        )

    def claim_batch(self, batch: list[DrillMessage]) -> list[DrillMessage] | None:
        """Claim every message of `batch` in one write (one commit instead of one per message);
        the messages as claimed, or None when another runner holds any of them (nothing written)."""
        now = self.deps.now()
        claims = [self.claim(message, now) for message in batch]
        ops = [
            Update(message.KIND, message.key, claim, expect_version=message.version)
            for message, claim in zip(batch, claims, strict=True)
        ]
        try:
            self.deps.store.transact(ops)
        except ConditionFailed:
            return None
        return [message.updated(claim) for message, claim in zip(batch, claims, strict=True)]

    def renew(self, held: DrillMessage) -> DrillMessage | None:
        """A fresh lease on a message claimed in a batch a while ago (None: it was taken over)."""
        claim = self.claim(held, self.deps.now(), attempts=held.attempts)  # the same attempt
        if not self.deps.store.update(held.KIND, held.key, claim, expect_version=held.version):
            return None
        return held.updated(claim)

    def release(self, held: DrillMessage, original: DrillMessage) -> None:
        """Hand back a message claimed in a batch but not sent (the run was stopped): due again
        at once, as it was, for the next run."""
        back = DrillMessage.changes(
            state=original.state,
            lease_until=original.lease_until,
            claimed_by=original.claimed_by,
            attempts=original.attempts,
            due_at=original.due_at or original.next_attempt_at,
        )
        self.deps.store.update(held.KIND, held.key, back, expect_version=held.version)

    def process(self, message: DrillMessage, *, claimed: bool = False) -> Outcome:
        """Claim (unless `claimed`: the message as `claim_batch` or `renew` wrote it), send, mark."""
        deps, kind, email = self.deps, message.KIND, message.email
        now = deps.now()
        if claimed:
            attempts, claimed_version = message.attempts, message.version
        else:
            claim = self.claim(message, now)
            attempts = int(claim["attempts"])
            if not deps.store.update(kind, message.key, claim, expect_version=message.version):
                return Outcome(message.key, email, "skipped", "claimed by another runner")
            claimed_version = message.version + 1

        def mark(changes: dict[str, Any]) -> None:
            # A mark that loses means our lease expired and another run took over: it decides now.
            deps.store.update(kind, message.key, changes, expect_version=claimed_version)

        def failed(error: str, detail: str = "") -> Outcome:
            mark(
                DrillMessage.changes(
                    state="failed", last_error=error, failed_at=deps.now(), lease_until=None, due_at=None
                )
            )
            self.mirror_oneshot(message, "failed")
            log_send_failed(message.key, error, kind=kind, attempts=attempts)
            return Outcome(message.key, email, "failed", detail or error)

        if not self.may_mail(message):
            return failed("participant not confirmed")
        try:
            provider_id = self.deliver(message, now=now)
        except AccountMailError as exc:
            # Not this message's fault: back as it was before the claim, the attempt not counted.
            back = DrillMessage.changes(
                state="scheduled", lease_until=None, claimed_by=None, attempts=attempts - 1,
                due_at=message.next_attempt_at, last_error=str(exc),
            )  # fmt: skip
            mark(back)
            return Outcome(message.key, email, "stopped", f"{exc.reason}: {exc}")
        except TransientMailError as exc:
            if attempts >= deps.max_attempts:
                return failed(f"gave up: {exc}", f"gave up after {attempts} attempts: {exc}")
            retry_at = deps.now() + self.backoff(attempts)
            mark(
                DrillMessage.changes(
                    state="scheduled",
                    next_attempt_at=retry_at,
                    due_at=retry_at,
                    last_error=str(exc),
                    lease_until=None,
                )
            )
            return Outcome(message.key, email, "retry", str(exc))
        except (PermanentMailError, TemplateError, ValueError) as exc:
            return failed(str(exc))
        mark(
            DrillMessage.changes(
                state="sent", sent_at=deps.now(), provider_id=provider_id, lease_until=None, due_at=None
            )
        )
        self.mirror_oneshot(message, "sent", sent_at=deps.now())
        if message.purpose == "oneshot":
            mail_status_link(deps, message.key.removeprefix(ONESHOT_PREFIX))
        return Outcome(message.key, email, "sent")

    def mirror_oneshot(self, message: DrillMessage, status: str, **extra: datetime) -> None:
        """The one-shot status page reads the request record: keep its send status in step."""
        if message.purpose == "oneshot":
            request_key = message.key.removeprefix(ONESHOT_PREFIX)
            self.deps.store.update(ONESHOT, request_key, OneshotRequest.changes(send_status=status, **extra))


def claim_batch_size(deps: Deps) -> int:
    """How many messages one claim write takes: at most CLAIM_BATCH, and no more than the rate
    sends in a quarter of the lease, so the last of a batch goes out long before its lease ends."""
    if deps.rate <= 0:
        return CLAIM_BATCH
    return max(1, min(CLAIM_BATCH, int(deps.rate * deps.lease.total_seconds() / 4)))


def _send_all(
    deps: Deps,
    runner: _Runner,
    due: list[DrillMessage],
    pacer: Pacer,
    stop: Callable[[], bool],
    record: Callable[[Outcome], None],
) -> None:
    """Claim the due messages a batch at a time, then send and mark each. A batch held longer than
    half the lease (a slow relay) renews each lease before its send; a stop hands the rest back."""
    size = claim_batch_size(deps)
    half_lease = deps.lease.total_seconds() / 2
    outcomes: list[Outcome] = []

    def keep(outcome: Outcome) -> None:
        outcomes.append(outcome)
        record(outcome)

    def halt() -> bool:  # asked to stop, or the last send hit an account-level error
        return stop() or bool(outcomes and outcomes[-1].result == "stopped")

    for first in range(0, len(due), size):
        chunk = due[first : first + size]
        if halt():
            return
        held = runner.claim_batch(chunk) if len(chunk) > 1 else None
        held_since = deps.monotonic()
        for index, original in enumerate(chunk):
            if halt():
                if held is not None:
                    for back, unsent in zip(chunk[index:], held[index:], strict=True):
                        runner.release(unsent, back)
                return
            pacer.wait()
            if held is None:
                keep(runner.process(original))
                continue
            mine = held[index] if deps.monotonic() - held_since <= half_lease else runner.renew(held[index])
            if mine is None:
                keep(Outcome(original.key, original.email, "skipped", "lease lost"))
                continue
            keep(runner.process(mine, claimed=True))


def send_due(
    deps: Deps,
    *,
    dry_run: bool = False,
    runner_id: str | None = None,
    progress: Callable[[Outcome], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> SendSummary:
    """Queue confirmed one-shot requests, then send every due message once, paced to the rate.
    `stop()` turning true ends the run between two messages (Ctrl-C on the local server)."""
    summary = SendSummary(queued_oneshots=queue_oneshots(deps, dry_run=dry_run))
    due = due_messages(deps) + due_messages(deps, NOTICE)  # drill mails first, then notices
    if dry_run:
        # The detail is the stored time, as the dry run always printed it.
        summary.outcomes = [Outcome(m.key, m.email, "due", str(m.to_item()["next_attempt_at"])) for m in due]
        return summary
    runner = _Runner(deps, runner_id or secrets.token_hex(6))
    pacer = Pacer(deps.rate, deps.monotonic, deps.sleep)

    def record(outcome: Outcome) -> None:
        summary.outcomes.append(outcome)
        if progress is not None:
            progress(outcome)

    try:
        with deps.mailer.session():
            _send_all(deps, runner, due, pacer, stop or (lambda: False), record)
    except AccountMailError as exc:  # a session that could not even be opened
        summary.outcomes.append(Outcome("", "", "stopped", f"{exc.reason}: {exc}"))
    stop_at = next((o for o in summary.outcomes if o.result == "stopped"), None)
    if stop_at is not None:
        summary.stopped = stop_at.detail.split(":", 1)[0]
        left = len(due) - sum(1 for o in summary.outcomes if o.result != "stopped")
        log_event("send_stopped", reason=stop_at.detail, message=stop_at.key, left_scheduled=left)
    # Drills whose last mail just went out get their reveal and follow-up planned (when asked for).
    summary.planned_followups = plan_followups(deps)
    return summary
