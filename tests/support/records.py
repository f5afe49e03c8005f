"""The typed records' tests share these: a sample of each record class with every field set, and
the check the "what a real flow writes" tests run (`declares_every_field`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TypeVar

from campaign_core.drill_records import Drill, DrillCheck, DrillEvent, DrillMessage, DrillNotice
from campaign_core.form_records import DrillApplication, OneshotRequest, Participant, SeminarSignup
from campaign_core.store import Store
from campaign_core.stored_record import StoredRecord

R = TypeVar("R", bound=StoredRecord)

AT = datetime(2026, 12, 1, 1, 30, tzinfo=UTC)
MESSAGE_KEY = "0123456789abcdef0123"
# fmt: off
MESSAGE_FULL = DrillMessage(
    key=MESSAGE_KEY, application_id="A-1", purpose="drill", email="taro@example.co.jp",
    company="株式会社テスト", month=12, variant="subtle", template="2026-12-subtle",
    message_id=f"<drill.{MESSAGE_KEY}@drill.example.jp>", send_at=AT, state="failed", attempts=3,
    next_attempt_at=AT + timedelta(minutes=5), due_at=None, lease_until=AT + timedelta(minutes=10),
    claimed_by="runner-1", sent_at=None, provider_id="ses-1", last_error="550 no such user",
    failed_at=AT + timedelta(hours=1), requeued_at=AT + timedelta(hours=2),
    previous_error="550 mailbox full", forgotten=True,
)
NOTICE_FULL = DrillNotice(
    **{f.name: getattr(MESSAGE_FULL, f.name) for f in MESSAGE_FULL.data_fields()},
    key=f"reveal-{MESSAGE_KEY}", drill_message=MESSAGE_KEY,
)
CHECK_FULL = DrillCheck(
    key=MESSAGE_KEY, application_id="A-1", email="taro@example.co.jp",
    reported="yes", reported_at=AT + timedelta(minutes=20), action="reported_unopened", notes="電話で報告",
    updated_at=AT + timedelta(hours=3),
    forwarded_at=AT + timedelta(minutes=15), complained_at=AT + timedelta(minutes=16),
)
EVENT_KEY = f"{MESSAGE_KEY}.20261201T013000000000.a1b2c3"
EVENT_FULL = DrillEvent(
    key=EVENT_KEY, message=MESSAGE_KEY, application_id="A-1", purpose="drill",
    type="click", link="login", at=AT, user_agent="settled bot", client=f"settled:{EVENT_KEY}",
    method="GET", prefetch=True,
    settled=True, machine_reasons=("agent", "too_fast"), purge_at=AT + timedelta(days=90),
)
DRILL_FULL = Drill(
    key="A-1", application_id="A-1", company="株式会社テスト",
    chamber={"code": "sapporo", "name": "札幌商工会議所"},
    template="2026-12-subtle", month=12, variant="subtle",
    window_start=AT, window_end=AT + timedelta(days=2), days=3,
    messages=(MESSAGE_KEY, "0123456789abcdef0124"), refused=("late@example.co.jp",),
    scheduled_at=AT - timedelta(days=1), report_state="sent", due_at=AT, followups_planned=True,
    report_claimed_at=AT + timedelta(days=5), report_error="451 try later",
    report_held_at=AT + timedelta(days=4), report_sent_at=AT + timedelta(days=6), report_sent_by="staff",
    counted={"drills": 1, "sent": 2, "reported": 1, "opened": 1, "clicked": 0, "minutes": {"12": 1}},
    membership_offered_at=AT + timedelta(days=6), purge_at=AT + timedelta(days=2),
)
REQUEST_KEY = "9f86d081884c7d659a2feaa0c55ad015"
ONESHOT_FULL = OneshotRequest(
    key=REQUEST_KEY, status="confirmed", email="sample@example.co.jp", company="株式会社サンプル",
    consent={"version": "2026-04", "at": "2026-12-01T01:30:00+00:00"}, requested_at=AT,
    confirmed_at=AT + timedelta(minutes=5), send_status="sent", due_at=AT + timedelta(minutes=5),
    message_key=f"oneshot-{REQUEST_KEY}", sent_at=AT + timedelta(minutes=10), status_mailed=True,
    purge_at=AT,
)
SIGNUP_FULL = SeminarSignup(
    key=f"live-2026-12:{REQUEST_KEY}", session_id="live-2026-12",
    company="株式会社サンプル", name="山田 花子", email="hanako@example.co.jp", phone="03-1234-5678",
    prefecture="北海道", chamber={"code": "sapporo", "name": "札幌商工会議所"}, member="non_member",
    consent={"version": "2026-11", "at": "2026-12-01T01:30:00+00:00"}, signed_up_at=AT, channel="zoom",
    status="confirmed", confirmed_at=AT + timedelta(minutes=3), seat=12, membership_offered_at=AT,
    purge_at=AT,
)
APPLICATION_FULL = DrillApplication(
    key="A-1", status="accepted", company="株式会社テスト", office="本社", corporate_number="1234567890123",
    postal_code="060-0001", prefecture="北海道", address="札幌市中央区北1条西1丁目", phone="011-123-4567",
    industry="manufacturing", employees="21-50", chamber={"code": "sapporo", "name": "札幌商工会議所"},
    member="non_member", officer_name="山田 太郎", officer_email="taro@example.co.jp",
    participants=(
        Participant(email="taro@example.co.jp", status="domain"),
        Participant(email="jiro@example.net", status="confirmed", confirmed_at=AT + timedelta(days=1)),
    ),
    variant="subtle", reveal=True, followup=False, reveal_followup=True, office_keys=("1234567890123",),
    consent={"version": "2026-04", "at": "2026-12-01T01:30:00+00:00"}, applied_at=AT,
    confirm_by=AT + timedelta(hours=72), accepted_at=AT + timedelta(hours=1), seminar_by="2026-12-15",
    membership_offered_at=AT + timedelta(hours=1), mail_error="451 try later", drill_status="scheduled",
    drill_scheduled_at=AT + timedelta(days=2), officer_forgotten=True, purge_at=AT,
)
# fmt: on
#: One sample of each record class, every field set (a drill mail has no `due_at` or `sent_at` at once).
FULL: tuple[StoredRecord, ...] = (
    MESSAGE_FULL,
    NOTICE_FULL,
    CHECK_FULL,
    EVENT_FULL,
    DRILL_FULL,
    ONESHOT_FULL,
    SIGNUP_FULL,
    APPLICATION_FULL,
)


def declares_every_field(store: Store, cls: type[R]) -> list[R]:
    """Every stored item of `cls.KIND` reads as `cls` with nothing left over and writes back as it
    was; the records read, for more checks."""
    records = store.query(cls.KIND)
    assert records
    typed = []
    for record in records:
        read = cls.from_record(record)
        assert read.extra == {}, f"{cls.KIND} field not declared: {sorted(read.extra)}"
        item = read.to_item()
        assert {name: record.data[name] for name in item} == item
        # What is left out is a sparse field holding its default (requeue clears `failed_at`).
        left_out = {name: value for name, value in record.data.items() if name not in item}
        assert set(left_out) <= cls.SPARSE and not any(left_out.values()), left_out
        assert read.version == record.version and read.expires_at == record.expires_at
        typed.append(read)
    return typed
