"""Typed views of the content files the apps and the site share (consent, organisation, chambers,
branches; the membership offer is in `campaign_core.membership`), read through the one cache of
`campaign_core.content_cache`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from campaign_core.content_cache import load


@dataclass(frozen=True)
class Consent:
    """`content/consent.yml`: the text next to the forms' checkbox and its version, stored with
    each application and shown on the privacy page."""

    version: str
    text: str

    @property
    def paragraphs(self) -> tuple[str, ...]:
        """Blank lines separate paragraphs."""
        return tuple(part.strip() for part in re.split(r"\n\s*\n", self.text.strip()) if part.strip())


def parse_consent(raw: Mapping[str, Any]) -> Consent:
    return Consent(version=str(raw["version"]), text=str(raw["text"]))


@dataclass(frozen=True)
class Organisation:
    """`content/organisation.yml`: who runs the campaign and how to reach the secretariat."""

    association: str
    secretariat: str
    email: str
    hours: str
    reply: str


def parse_organisation(raw: Mapping[str, Any]) -> Organisation:
    return Organisation(
        association=str(raw["association"]),
        secretariat=str(raw["secretariat"]),
        email=str(raw["email"]),
        hours=str(raw["hours"]),
        reply=str(raw["reply"]),
    )


@dataclass(frozen=True)
class Chamber:
    """One entry of `content/chambers.yml` (north to south)."""

    code: str
    name: str
    prefecture: str = ""
    contact_email: str = ""
    branch: str = ""


def parse_chambers(raw: Any) -> tuple[Chamber, ...]:
    fields = ("prefecture", "contact_email", "branch")
    return tuple(
        Chamber(str(entry["code"]), str(entry["name"]), *(str(entry.get(key, "")) for key in fields))
        for entry in raw or ()
    )


@dataclass(frozen=True)
class Contact:
    """How to reach a branch: mail, phone and the hours someone answers."""

    email: str
    phone: str
    hours: str


@dataclass(frozen=True)
class Branch:
    """One entry of `content/branches.yml`: an association branch (支部), the prefectures and the
    chambers it looks after, and its desk. `example` marks a placeholder contact (not yet real)."""

    code: str
    name: str
    prefectures: tuple[str, ...]
    contact: Contact
    chambers: tuple[str, ...]
    example: bool = False


def parse_branches(raw: Any) -> tuple[Branch, ...]:
    branches = []
    for entry in raw or ():
        contact = entry.get("contact") or {}
        branches.append(
            Branch(
                code=str(entry["code"]),
                name=str(entry["name"]),
                prefectures=tuple(str(p) for p in entry.get("prefectures") or ()),
                contact=Contact(*(str(contact.get(key, "")) for key in ("email", "phone", "hours"))),
                chambers=tuple(str(code) for code in entry.get("chambers") or ()),
                example=bool(entry.get("example", False)),
            )
        )
    return tuple(branches)


# Domains reserved for examples (RFC 2606, and JPRS's example.jp): an address there is a placeholder.
EXAMPLE_DOMAINS = ("example.jp", "example.com", "example.net", "example.org")


def is_example_address(address: str) -> bool:
    domain = address.rpartition("@")[2].lower()
    return any(domain == d or domain.endswith("." + d) for d in EXAMPLE_DOMAINS)


def example_contacts(content_dir: Path) -> list[str]:
    """What still holds placeholder contact data: branches marked `example`, chambers whose address
    is on an example domain (one line each, for the production build's warning)."""
    found = [f"branches.yml: {b.code}({b.name})" for b in branches(content_dir) if b.example]
    found += [
        f"chambers.yml: {c.code}({c.name})"
        for c in chambers(content_dir)
        if c.contact_email and is_example_address(c.contact_email)
    ]
    return found


def consent(content_dir: Path) -> Consent:
    return load(content_dir, "consent", parse_consent)


def organisation(content_dir: Path) -> Organisation:
    return load(content_dir, "organisation", parse_organisation)


def chambers(content_dir: Path) -> tuple[Chamber, ...]:
    return load(content_dir, "chambers", parse_chambers)


def branches(content_dir: Path) -> tuple[Branch, ...]:
    return load(content_dir, "branches", parse_branches)


def find_branch(content_dir: Path, wanted: str) -> Branch | None:
    """A branch by its code or its name (as staff type it: either works)."""
    text = wanted.strip().lower()
    for branch in branches(content_dir):
        if text in (branch.code.lower(), branch.name.lower()):
            return branch
    return None


def branch_of(content_dir: Path, chamber: Chamber) -> Branch | None:
    """The branch that looks after a chamber (its `branch` in chambers.yml)."""
    return next((b for b in branches(content_dir) if b.code == chamber.branch), None)
