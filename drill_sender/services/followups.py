"""After the drill: the reveal mail (種明かし) about a week after the last drill mail, and a
follow-up learning mail a week after that, each for drills whose officer asked for it.

The reveal says it was a drill, thanks the participant if they reported it, names nobody, and
teaches the clues of that mail; the follow-up points to the site's learning pages. Both go out
through the same claim -> send -> mark engine as drill mail (kind `drill_notice`), from the
campaign's own address, in business hours.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from email.message import EmailMessage

from campaign_core.clock import JST
from campaign_core.deps import Deps
from campaign_core.drill_records import Drill, DrillCheck, DrillMessage, DrillNotice
from campaign_core.form_records import DrillApplication
from campaign_core.mail.suppression import REVEAL_HEADER
from campaign_core.records import APPLICATION, CHECK, MESSAGE, NOTICE
from drill_sender.services.drill_state import change_drill, open_drills
from drill_sender.services.learn import learn_url
from drill_sender.services.mails import service_mail
from drill_sender.services.schedule import new_message
from drill_sender.templates import load_template
from drill_sender.window import assign_send_times, send_intervals

REVEAL_AFTER = timedelta(days=7)
FOLLOWUP_AFTER = timedelta(days=7)


def _times(
    deps: Deps, messages: list[DrillMessage], day: date, rng: random.Random
) -> list[tuple[DrillMessage, datetime]]:
    """Business hours of `day`, or of the next business day when that has passed already (the
    scheduler did not run for a while)."""
    now = deps.now()
    start = max(day, now.astimezone(JST).date())
    intervals = send_intervals(start, 1, not_before=now) or send_intervals(start + timedelta(days=1), 1)
    return assign_send_times(messages, intervals, rng, min_spacing=timedelta(seconds=30))


def wanted_mails(application: DrillApplication) -> tuple[str, ...]:
    """The mails after the drill the officer chose on the form: the reveal, the follow-up, both or
    neither. Applications from before the two choices hold one `reveal_followup` for both."""
    chosen = {"reveal": application.reveal, "followup": application.followup}
    legacy = application.reveal_followup
    return tuple(purpose for purpose, wanted in chosen.items() if (legacy if wanted is None else wanted))


def plan_followups(deps: Deps, rng: random.Random | None = None) -> int:
    """Create the reveal and follow-up notices of every drill whose mails are all out; returns how
    many drills were planned. Safe to run again: notice keys are fixed, the drill is marked."""
    rng = rng or random.SystemRandom()
    planned = 0
    for drill in open_drills(deps):
        if drill.followups_planned:
            continue
        messages = [DrillMessage.from_record(r) for r in deps.store.by_application(MESSAGE, drill.key)]
        if not messages or any(m.state not in ("sent", "failed") for m in messages):
            continue
        application = deps.store.get(APPLICATION, drill.key)
        sent = [m for m in messages if m.state == "sent"]
        wanted = wanted_mails(DrillApplication.from_record(application)) if application is not None else ()
        if wanted and sent:
            last = max(m.sent_at for m in sent if m.sent_at is not None)
            reveal_day = (last + REVEAL_AFTER).astimezone(JST).date()
            days = {"reveal": reveal_day, "followup": reveal_day + FOLLOWUP_AFTER}
            for purpose in wanted:
                day = days[purpose]
                for message, send_at in _times(deps, sent, day, rng):
                    key = f"{purpose}-{message.key}"
                    data = new_message(
                        deps,
                        key,
                        application_id=drill.key,
                        email=message.email,
                        company=message.company,
                        month=message.month,
                        variant=message.variant,
                        send_at=send_at,
                        purpose=purpose,
                    )
                    deps.store.put_new(
                        NOTICE, key, {**data, **DrillNotice.changes(drill_message=message.key)}
                    )
            planned += 1
        change_drill(deps, drill.key, Drill.changes(followups_planned=True), expect_version=drill.version)
    return planned


def _reported(deps: Deps, message_key: str) -> bool:
    record = deps.store.get(CHECK, message_key)
    if record is None:
        return False
    check = DrillCheck.from_record(record)
    return check.reported == "yes" or bool(check.forwarded_at or check.complained_at)


def build_notice(deps: Deps, notice: DrillNotice) -> EmailMessage:
    template = load_template(notice.month, notice.variant)
    base = deps.base_url
    name = "drill_reveal" if notice.purpose == "reveal" else "drill_followup"
    return service_mail(
        deps,
        name,
        to=notice.email,
        values={
            "company": notice.company,
            "subject": template.subject,
            "sender_name": template.sender_name,
            "clues": template.clues,
            "reported": _reported(deps, notice.drill_message),
            "learn_url": learn_url(deps, message=notice.drill_message),
            "spotting_url": f"{base}/participants/spotting/",
            "participants_url": f"{base}/participants/",
            "help_url": f"{base}/help/",
            "selfcheck_url": f"{base}/selfcheck/",
        },
        headers={
            "Auto-Submitted": "auto-generated",
            **({REVEAL_HEADER: "reveal"} if name == "drill_reveal" else {}),
        },
    )
