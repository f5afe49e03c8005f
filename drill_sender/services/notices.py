"""Mails from the drill service to the officer (not the drill mail itself): the send window with
the check sheet link. Templates live in `drill_sender/mail/<name>/`."""

from __future__ import annotations

from typing import Any

from campaign_core.deps import Deps
from campaign_core.form_records import DrillApplication
from campaign_core.jst import day_text
from campaign_core.records import APPLICATION
from drill_sender.services.checksheet import sheet_url
from drill_sender.services.mails import service_mail
from drill_sender.services.report import REPORT_MAX_AGE, report_url
from drill_sender.services.schedule import ScheduleResult


def _date_label(result_time: Any) -> str:
    return day_text(result_time, year=False)


def _officer_mail(deps: Deps, application_id: str, name: str, values: dict[str, Any]) -> str:
    record = deps.store.get(APPLICATION, application_id)
    if record is None:
        raise KeyError(application_id)
    application = DrillApplication.from_record(record)
    values = {
        "officer_name": application.officer_name,
        "company": application.company,
        "member": application.member,
        **values,
    }
    return deps.mailer.send(service_mail(deps, name, to=application.officer_email, values=values))


def send_report_notice(deps: Deps, application_id: str) -> str:
    """The officer's link to the report (HTML to read and print, CSV to keep)."""
    values = {"report_url": report_url(deps, application_id), "valid_days": REPORT_MAX_AGE.days}
    return _officer_mail(deps, application_id, "drill_report", values)


def send_schedule_notice(deps: Deps, result: ScheduleResult) -> str:
    """Tell the officer the window (not the times) and give them their check sheet link."""
    base = deps.base_url
    values = {
        "window_start": _date_label(result.window_start),
        "window_end": _date_label(result.window_end),
        "count": len(result.messages),
        "refused": result.refused,
        "sheet_url": sheet_url(deps, result.application_id),
        "manual_url": f"{base}/officers/",
        "report_address": deps.report_address,
    }
    return _officer_mail(deps, result.application_id, "drill_scheduled", values)
