"""The membership page (入会のご案内) from `content/membership.yml`, the same file the forms' pages and
both apps' mails read for their membership offer."""

from __future__ import annotations

from typing import Any

from campaign_core.membership import Membership, parse_membership
from site_build import PageContext, content, shortcode


def _parse(raw: dict[str, Any]) -> Membership:
    membership = parse_membership(raw)
    if not membership.path.endswith("/") or membership.path.startswith("/"):
        raise ValueError(f"membership.yml: path {membership.path!r} must look like membership/")
    if not membership.benefits:
        raise ValueError("membership.yml: benefits is empty")
    return membership


@shortcode("membership")
def render_membership(ctx: PageContext, args: dict[str, str]) -> str:
    return ctx.render("membership.html", membership=content("membership", _parse))
