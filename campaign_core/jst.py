"""Japanese dates and times as people read them (年月日, 曜日, JST), for pages, mails and reports."""

from __future__ import annotations

from datetime import datetime

from campaign_core.clock import JST

WEEKDAYS = "月火水木金土日"


def jst_label(instant: datetime) -> str:
    local = instant.astimezone(JST)
    return f"{local.year}年{local.month}月{local.day}日({WEEKDAYS[local.weekday()]}){local:%H:%M}"
