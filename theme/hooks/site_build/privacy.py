"""The privacy and contact pages: the consent text, the secretariat's contact data and chamber desks.

`content/consent.yml` is also read by the forms (`form_lambda`), which store its version with each
application; rendering it here from the same file keeps the page and the forms word for word alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from site_build import PageContext, shortcode


@dataclass(frozen=True)
class ConsentText:
    version: str
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class Organisation:
    association: str
    secretariat: str
    email: str
    hours: str
    reply: str


@dataclass(frozen=True)
class ChamberDesk:
    name: str
    prefecture: str
    email: str


def parse_consent(raw: dict[str, Any]) -> ConsentText:
    version, text = str(raw["version"]), str(raw["text"])
    if not re.fullmatch(r"\d{4}-\d{2}(?:-\d{2})?", version):
        raise ValueError(f"consent.yml: version {version!r} is not a date such as 2026-11")
    # Blank lines separate paragraphs, as in form_lambda's rendering of the same text.
    paragraphs = tuple(part.strip() for part in re.split(r"\n\s*\n", text.strip()) if part.strip())
    if not paragraphs:
        raise ValueError("consent.yml: the text is empty")
    return ConsentText(version=version, paragraphs=paragraphs)


def parse_organisation(raw: dict[str, Any]) -> Organisation:
    organisation = Organisation(
        association=str(raw["association"]),
        secretariat=str(raw["secretariat"]),
        email=str(raw["email"]),
        hours=str(raw["hours"]),
        reply=str(raw["reply"]),
    )
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
    consent = parse_consent(ctx.content("consent"))
    return ctx.render("consent.html", consent=consent, version_label=version_label(consent.version))


@shortcode("organisation")
def render_organisation(ctx: PageContext, args: dict[str, str]) -> str:
    organisation = parse_organisation(ctx.content("organisation"))
    return ctx.render("organisation.html", organisation=organisation, topic=args.get("topic", ""))


@shortcode("chamber-desks")
def render_chamber_desks(ctx: PageContext, args: dict[str, str]) -> str:
    # Grouped in the order of chambers.yml (north to south), not by the code points of the names.
    by_prefecture: dict[str, list[ChamberDesk]] = {}
    for row in ctx.content("chambers"):
        desk = ChamberDesk(
            name=str(row["name"]), prefecture=str(row["prefecture"]), email=str(row["contact_email"])
        )
        by_prefecture.setdefault(desk.prefecture, []).append(desk)
    return ctx.render("organisation_chambers.html", by_prefecture=list(by_prefecture.items()))
