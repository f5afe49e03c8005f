"""Japanese dates and times as people read them (年月日, 曜日, JST), for pages, mails and reports."""

from __future__ import annotations

from datetime import datetime

from campaign_core.clock import JST

WEEKDAYS = "月火水木金土日"


def jst_label(instant: datetime) -> str:
    local = instant.astimezone(JST)
    return f"{local.year}年{local.month}月{local.day}日({WEEKDAYS[local.weekday()]}){local:%H:%M}"


def minutes_text(minutes: float | None) -> str:
    """A duration in minutes as people say it: 45分, 1時間5分; "-" when there is none."""
    if minutes is None:
        return "-"
    whole = round(minutes)
    return f"{whole // 60}時間{whole % 60}分" if whole >= 60 else f"{whole}分"
