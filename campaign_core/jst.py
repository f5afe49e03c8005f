"""Japanese dates and times as people read them (年月日, 曜日, JST), for pages, mails and reports.

day_text(d)                          2026年12月1日(火)
day_text(d, year=False)              12月1日(火)
day_text(d, weekday=False)           2026年12月1日
jst_label(t)                         2026年12月1日(火)09:00
jst_label(t, year=False)             12月1日(火)09:00
"""

from __future__ import annotations

from datetime import date, datetime

from campaign_core.clock import JST

WEEKDAYS = "月火水木金土日"


def day_text(value: date, *, year: bool = True, weekday: bool = True) -> str:
    """A calendar day; an instant is first put in JST."""
    local = value.astimezone(JST) if isinstance(value, datetime) else value
    text = f"{local.year}年" if year else ""
    text += f"{local.month}月{local.day}日"
    return text + (f"({WEEKDAYS[local.weekday()]})" if weekday else "")


def jst_label(instant: datetime, *, year: bool = True) -> str:
    """An instant as its JST day with the weekday and the time of day."""
    return f"{day_text(instant, year=year)}{instant.astimezone(JST):%H:%M}"


def minutes_text(minutes: float | None) -> str:
    """A duration in minutes as people say it: 45分, 1時間5分; "-" when there is none."""
    if minutes is None:
        return "-"
    whole = round(minutes)
    return f"{whole // 60}時間{whole % 60}分" if whole >= 60 else f"{whole}分"
