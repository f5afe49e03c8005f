"""The membership offer (`content/membership.yml`) that the mails, the forms' pages and the site carry."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from campaign_core.content_cache import load


@dataclass(frozen=True)
class Benefit:
    title: str
    text: str


@dataclass(frozen=True)
class Membership:
    """`content/membership.yml`: the membership page's text and the offer the mails and pages carry."""

    path: str  # the page's site path, e.g. "membership/"
    title: str
    offer: str
    heading: str
    refusal: str
    benefits: tuple[Benefit, ...]
    how_to_join: str


def parse_membership(raw: Mapping[str, Any]) -> Membership:
    return Membership(
        path=str(raw["path"]),
        title=str(raw["title"]),
        offer=str(raw["offer"]).strip(),
        heading=str(raw["heading"]),
        refusal=str(raw["refusal"]).strip(),
        benefits=tuple(Benefit(str(b["title"]), str(b["text"]).strip()) for b in raw.get("benefits") or ()),
        how_to_join=str(raw["how_to_join"]).strip(),
    )


def membership(content_dir: Path) -> Membership:
    return load(content_dir, "membership", parse_membership)
