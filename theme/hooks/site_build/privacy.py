"""The privacy and contact pages: the consent text, the secretariat's contact data and chamber desks.

`content/consent.yml` is also read by the forms (`form_lambda`), which store its version with each
application; rendering it here from the same file keeps the page and the forms word for word alike.
"""

from __future__ import annotations

import re
from typing import Any

from campaign_core import content as core
from campaign_core.content import Chamber, Consent, Organisation
from site_build import PageContext, content, shortcode
from site_build.kit import parse_chambers


def parse_consent(raw: dict[str, Any]) -> Consent:
    consent = core.parse_consent(raw)
    if not re.fullmatch(r"\d{4}-\d{2}(?:-\d{2})?", consent.version):
        raise ValueError(f"consent.yml: version {consent.version!r} is not a date such as 2026-11")
    if not consent.paragraphs:
        raise ValueError("consent.yml: the text is empty")
    return consent


def parse_organisation(raw: dict[str, Any]) -> Organisation:
    organisation = core.parse_organisation(raw)
    if "@" not in organisation.email:
        raise ValueError(f"organisation.yml: {organisation.email!r} is not an e-mail address")
    return organisation


def version_label(version: str) -> str:
    """ "2026-11" -> "2026年11月版" for readers; the raw value is what the forms record."""
    parts = [int(part) for part in version.split("-")]
    label = f"{parts[0]}年{parts[1]}月"
    if len(parts) == 3:
        label += f"{parts[2]}日"
    return label + "版"


@shortcode("consent")
def render_consent(ctx: PageContext, args: dict[str, str]) -> str:
    consent = content("consent", parse_consent)
    return ctx.render("consent.html", consent=consent, version_label=version_label(consent.version))


@shortcode("organisation")
def render_organisation(ctx: PageContext, args: dict[str, str]) -> str:
    organisation = content("organisation", parse_organisation)
    return ctx.render("organisation.html", organisation=organisation, topic=args.get("topic", ""))


@shortcode("chamber-desks")
def render_chamber_desks(ctx: PageContext, args: dict[str, str]) -> str:
    # Grouped in the order of chambers.yml (north to south), not by the code points of the names.
    by_prefecture: dict[str, list[Chamber]] = {}
    for chamber in content("chambers", parse_chambers):
        by_prefecture.setdefault(chamber.prefecture, []).append(chamber)
    placeholders = any(
        core.is_example_address(c.contact_email) for desks in by_prefecture.values() for c in desks
    )
    return ctx.render(
        "organisation_chambers.html",
        by_prefecture=list(by_prefecture.items()),
        is_example=core.is_example_address,
        placeholders=placeholders,
    )
