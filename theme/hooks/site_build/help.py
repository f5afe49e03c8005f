"""The "困ったときは" triage page: situations, first steps and public contacts from `content/help.yml`.

One marker, `<!-- md:help -->`, renders the emergency block, the index of situations (plain anchors,
so it works without JavaScript), one section per situation and the directory of contacts. Situation
titles are emitted as Markdown headings so they reach the table of contents and the search index.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from site_build import PageContext, content, shortcode

UNCHECKED = "未確認"
_CHECKED_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
logger = logging.getLogger("mkdocs.plugins.site_build.help")


@dataclass(frozen=True)
class Contact:
    key: str
    name: str
    what: str  # what they help with, in one line
    url: str | None = None
    phone: str | None = None
    email: str | None = None
    hours: str | None = None  # when the phone is answered; every phone desk has it
    checked: str = UNCHECKED  # the day its details were checked on its official site (YYYY-MM-DD)

    @property
    def checked_label(self) -> str:
        """ "2026年12月1日" for a checked contact, "" for one not checked yet."""
        if self.checked == UNCHECKED:
            return ""
        year, month, day = (int(part) for part in self.checked.split("-"))
        return f"{year}年{month}月{day}日"

    @property
    def tel(self) -> str | None:
        """The `tel:` form of the phone number ("#9110" must be escaped in a URL)."""
        if self.phone is None:
            return None
        return "tel:" + self.phone.replace("-", "").replace("#", "%23")


@dataclass(frozen=True)
class SiteLink:
    page: str  # a site path such as "participants/spotting/"
    label: str


@dataclass(frozen=True)
class Situation:
    id: str
    title: str
    lead: str
    signs: tuple[str, ...]  # how a reader tells it is this situation
    steps: tuple[str, ...]  # what to do first, in order
    avoid: tuple[str, ...]  # what not to do; may be empty
    contacts: tuple[Contact, ...]
    see: tuple[SiteLink, ...]


@dataclass(frozen=True)
class OtherTopic:
    title: str
    contacts: tuple[Contact, ...]


@dataclass(frozen=True)
class Emergency:
    title: str
    steps: tuple[str, ...]
    urgent: str


@dataclass(frozen=True)
class HelpGuide:
    emergency: Emergency  # the block above the index: what to do right now
    situations: tuple[Situation, ...]
    other_topics: tuple[OtherTopic, ...]
    contacts: tuple[Contact, ...]


def _strings(raw: Any, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(item, str) and item.strip() for item in raw):
        raise ValueError(f"help.yml: {where} must be a list of non-empty strings")
    return tuple(raw)


def parse_help(raw: dict[str, Any]) -> HelpGuide:
    """Validate the YAML and resolve contact keys, so a typo fails the build instead of the reader."""
    contacts = {
        key: Contact(
            key=key,
            name=value["name"],
            what=value["what"],
            url=value.get("url"),
            phone=value.get("phone"),
            email=value.get("email"),
            hours=value.get("hours"),
            checked=str(value.get("checked", "")),
        )
        for key, value in raw["contacts"].items()
    }
    for contact in contacts.values():
        if not (contact.url or contact.phone or contact.email):
            raise ValueError(f"help.yml: contact {contact.key!r} has no URL, phone or e-mail")
        if contact.phone and not contact.hours:
            raise ValueError(f"help.yml: contact {contact.key!r} has a phone but no hours")
        if contact.checked != UNCHECKED and not _CHECKED_RE.fullmatch(contact.checked):
            raise ValueError(f"help.yml: contact {contact.key!r}: checked must be a date or {UNCHECKED}")

    def resolve(keys: list[str], where: str) -> tuple[Contact, ...]:
        if not keys:
            raise ValueError(f"help.yml: {where} names no contact")
        unknown = [key for key in keys if key not in contacts]
        if unknown:
            raise ValueError(f"help.yml: {where} names unknown contacts {unknown}")
        return tuple(contacts[key] for key in keys)

    situations = tuple(
        Situation(
            id=item["id"],
            title=item["title"],
            lead=item["lead"],
            signs=_strings(item["signs"], f"{item['id']}.signs"),
            steps=_strings(item["steps"], f"{item['id']}.steps"),
            avoid=_strings(item["avoid"], f"{item['id']}.avoid") if "avoid" in item else (),
            contacts=resolve(item["contacts"], item["id"]),
            see=tuple(SiteLink(page=link["page"], label=link["label"]) for link in item.get("see", [])),
        )
        for item in raw["situations"]
    )
    ids = [situation.id for situation in situations]
    if len(ids) != len(set(ids)):
        raise ValueError("help.yml: situation ids must be unique")
    emergency = raw["emergency"]
    return HelpGuide(
        emergency=Emergency(
            title=emergency["title"],
            steps=_strings(emergency["steps"], "emergency.steps"),
            urgent=emergency["urgent"],
        ),
        situations=situations,
        other_topics=tuple(
            OtherTopic(title=topic["title"], contacts=resolve(topic["contacts"], topic["title"]))
            for topic in raw.get("other_topics", [])
        ),
        contacts=tuple(contacts.values()),
    )


@shortcode("help")
def render_help(ctx: PageContext, args: dict[str, str]) -> str:
    guide = content("help", parse_help)
    unchecked = [contact.key for contact in guide.contacts if not contact.checked_label]
    if unchecked:
        # Not a warning (strict builds would fail): HQ checks these on their official sites and dates them.
        logger.info("help.yml: contacts not yet checked on their official sites: %s", ", ".join(unchecked))
    return ctx.render("help.html", guide=guide)
