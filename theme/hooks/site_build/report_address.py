"""`<!-- md:report-address -->`: the drill's report address (where participants forward drill mails),
from the build's environment as the services compute it: `CAMPAIGN_REPORT_ADDRESS`, else report@ the
drill domain (`CAMPAIGN_DRILL_DOMAIN`, else the domain of `CAMPAIGN_MAIL_FROM`). `scripts/deploy`
builds the site with the `--report-address` it deploys."""

from __future__ import annotations

import os
from email.utils import parseaddr

from campaign_core.settings import Settings
from site_build import PageContext, shortcode


def report_address(environ: dict[str, str]) -> str:
    explicit = environ.get("CAMPAIGN_REPORT_ADDRESS", "").strip()
    if explicit:
        return explicit
    domain = environ.get("CAMPAIGN_DRILL_DOMAIN", "").strip()
    if not domain:
        sender = parseaddr(environ.get("CAMPAIGN_MAIL_FROM", "") or Settings.mail_from)[1]
        domain = sender.rpartition("@")[2]
    return f"report@{domain}"


@shortcode("report-address")
def render_report_address(ctx: PageContext, args: dict[str, str]) -> str:
    return ctx.render("report_address.html", address=report_address(dict(os.environ)))
