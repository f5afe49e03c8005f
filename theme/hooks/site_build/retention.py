"""The retention periods on the privacy page, from the same settings `campaign purge` applies.

`<!-- md:retention -->` renders a table of the periods of `hq.retention.Retention`, read
from the build's environment (`CAMPAIGN_RETAIN_*`), so the page states what the purge does.
"""

from __future__ import annotations

import os

from campaign_core.settings import load_retention
from site_build import PageContext, shortcode


def period_label(days: int) -> str:
    """1095 -> "3年", 90 -> "90日": whole years read as years."""
    if days % 365 == 0:
        return f"{days // 365}年"
    return f"{days:,}日"


@shortcode("retention")
def render_retention(ctx: PageContext, args: dict[str, str]) -> str:
    retention = load_retention(os.environ)
    return ctx.render(
        "retention.html",
        tracking=period_label(retention.tracking_days),
        records=period_label(retention.records_days),
        unconfirmed=period_label(retention.unconfirmed_days),
    )
