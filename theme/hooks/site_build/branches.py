"""The branches (支部) on the site, from `content/branches.yml` and `content/chambers.yml`:

    <!-- md:branch-desks -->   the contact page: each branch, its prefectures, desk and chambers
    <!-- md:kit-branch -->     the chamber kit: whom a chamber asks (its branch), chamber by chamber

Contacts marked `example: true` (and chamber addresses on example domains) are placeholders: the
pages say so next to them, and a production build (`CAMPAIGN_BUILD=production`, as `scripts/deploy`
builds) warns while any remain, which stops `mkdocs build --strict`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from mkdocs.plugins import get_plugin_logger

from campaign_core import content as core
from campaign_core.content import Branch, Chamber
from site_build import CONTENT_DIR, PageContext, content, post_build, shortcode
from site_build.kit import parse_chambers

log = get_plugin_logger(__name__)
PRODUCTION = "production"


def parse_branches(raw: Any) -> tuple[Branch, ...]:
    """The branches of `branches.yml`, every field required, each prefecture in one branch only."""
    branches = core.parse_branches(raw)
    if len({b.code for b in branches}) != len(branches):
        raise ValueError("branches.yml: branch codes must be unique")
    seen: dict[str, str] = {}
    for branch in branches:
        if not (branch.code and branch.name and branch.prefectures and branch.contact.email):
            raise ValueError(
                f"branches.yml: {branch.code or '?'} needs code, name, prefectures, contact.email"
            )
        if "@" not in branch.contact.email:
            raise ValueError(f"branches.yml: {branch.code}: {branch.contact.email!r} is not a mail address")
        for prefecture in branch.prefectures:
            if prefecture in seen:
                raise ValueError(
                    f"branches.yml: {prefecture} is in both {seen[prefecture]} and {branch.code}"
                )
            seen[prefecture] = branch.code
    return branches


@dataclass(frozen=True)
class BranchDesk:
    """A branch with the chambers it looks after (from chambers.yml, which must agree)."""

    branch: Branch
    chambers: tuple[Chamber, ...]


def branch_desks() -> tuple[BranchDesk, ...]:
    """Every branch with its chambers; the two files must name the same chambers for each branch."""
    branches = content("branches", parse_branches)
    chambers = content("chambers", parse_chambers)
    codes = {b.code for b in branches}
    orphans = [c.code for c in chambers if c.branch not in codes]
    if orphans:
        raise ValueError(f"chambers.yml: the branch of {', '.join(orphans)} is not in branches.yml")
    desks = []
    for branch in branches:
        own = tuple(c for c in chambers if c.branch == branch.code)
        if sorted(c.code for c in own) != sorted(branch.chambers):
            raise ValueError(
                f"branches.yml: {branch.code} lists chambers {sorted(branch.chambers)}, "
                f"chambers.yml gives it {sorted(c.code for c in own)}"
            )
        desks.append(BranchDesk(branch, own))
    return tuple(desks)


@shortcode("branch-desks")
def render_branch_desks(ctx: PageContext, args: dict[str, str]) -> str:
    return ctx.render("branch_desks.html", desks=branch_desks())


@shortcode("kit-branch")
def render_kit_branch(ctx: PageContext, args: dict[str, str]) -> str:
    return ctx.render("kit_branch.html", desks=branch_desks())


@post_build
def warn_about_example_contacts(config: Any) -> None:
    """In a production build, a warning that lists every placeholder contact still in content/."""
    if os.environ.get("CAMPAIGN_BUILD", "").strip().lower() != PRODUCTION:
        return
    found = core.example_contacts(CONTENT_DIR)
    if found:
        log.warning(
            f"本番用のビルドに、見本の連絡先が {len(found)} 件残っています。本物の連絡先に書き換えてください"
            f"(branches.yml は example の行も消します): {'、'.join(found)}"
        )
