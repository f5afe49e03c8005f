"""The self-check: 25 items in three groups from `content/selfcheck.yml`, rendered as a plain HTML form.

Scoring happens in the browser (`docs/assets/js/selfcheck.js`); nothing is sent anywhere. The form
uses `method="dialog"`, so even a stray submission without JavaScript cannot reach a server. The
points and the result bands travel in `data-*` attributes, so the script holds no copy of the data.
`score` and `band_for` state the same rules in Python for the build-time checks and the tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from site_build import PageContext, content, shortcode


@dataclass(frozen=True)
class Choice:
    id: str
    label: str
    points: int  # added to the total when chosen


@dataclass(frozen=True)
class Item:
    id: str
    number: int  # 1..25 across all groups, as on the paper sheet
    text: str


@dataclass(frozen=True)
class Group:
    id: str
    title: str
    description: str  # the lead under the group's heading
    items: tuple[Item, ...]


@dataclass(frozen=True)
class NextStep:
    text: str
    page: str  # a site path such as "drill/"


@dataclass(frozen=True)
class Band:
    id: str
    min: int  # the lowest total in the band
    max: int  # the highest total, inclusive
    title: str
    summary: str
    next: tuple[NextStep, ...]


@dataclass(frozen=True)
class SelfCheck:
    choices: tuple[Choice, ...]
    groups: tuple[Group, ...]
    bands: tuple[Band, ...]

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(item for group in self.groups for item in group.items)

    @property
    def best(self) -> int:
        return max(choice.points for choice in self.choices)

    @property
    def worst(self) -> int:
        return min(choice.points for choice in self.choices)

    @property
    def max_total(self) -> int:
        return self.best * len(self.items)

    @property
    def min_total(self) -> int:
        return self.worst * len(self.items)

    def group_max(self, group: Group) -> int:
        return self.best * len(group.items)

    def score(self, answers: Mapping[str, str]) -> tuple[int, dict[str, int]]:
        """Total and per-group points for a complete set of answers (item id -> choice id)."""
        points = {choice.id: choice.points for choice in self.choices}
        per_group = {group.id: sum(points[answers[item.id]] for item in group.items) for group in self.groups}
        return sum(per_group.values()), per_group

    def band_for(self, total: int) -> Band:
        for band in self.bands:
            if band.min <= total <= band.max:
                return band
        raise ValueError(f"no band covers {total}")


def parse_selfcheck(raw: dict[str, Any]) -> SelfCheck:
    """Validate the YAML: unique ids, and bands that cover every possible total exactly once."""
    choices = tuple(Choice(id=c["id"], label=c["label"], points=int(c["points"])) for c in raw["choices"])
    number = 0
    groups: list[Group] = []
    for group in raw["groups"]:
        items: list[Item] = []
        for item in group["items"]:
            number += 1
            items.append(Item(id=item["id"], number=number, text=item["text"]))
        groups.append(
            Group(id=group["id"], title=group["title"], description=group["description"], items=tuple(items))
        )
    bands = tuple(
        sorted(
            (
                Band(
                    id=band["id"],
                    min=int(band["min"]),
                    max=int(band["max"]),
                    title=band["title"],
                    summary=band["summary"],
                    next=tuple(NextStep(text=step["text"], page=step["page"]) for step in band["next"]),
                )
                for band in raw["bands"]
            ),
            key=lambda band: band.min,
            reverse=True,
        )
    )
    check = SelfCheck(choices=choices, groups=tuple(groups), bands=bands)
    ids = [item.id for item in check.items] + [group.id for group in check.groups]
    if len(ids) != len(set(ids)):
        raise ValueError("selfcheck.yml: item and group ids must be unique")
    if len({c.id for c in choices}) != len(choices):
        raise ValueError("selfcheck.yml: choice ids must be unique")
    _check_bands(check)
    return check


def _check_bands(check: SelfCheck) -> None:
    ascending = sorted(check.bands, key=lambda band: band.min)
    expected_min = check.min_total
    for band in ascending:
        if band.min > band.max:
            raise ValueError(f"selfcheck.yml: band {band.id} has min above max")
        if band.min != expected_min:
            raise ValueError(f"selfcheck.yml: band {band.id} starts at {band.min}, expected {expected_min}")
        expected_min = band.max + 1
    if expected_min != check.max_total + 1:
        raise ValueError(f"selfcheck.yml: the bands stop at {expected_min - 1}, not at {check.max_total}")


@shortcode("selfcheck")
def render_selfcheck(ctx: PageContext, args: dict[str, str]) -> str:
    return ctx.render("selfcheck.html", check=content("selfcheck", parse_selfcheck))
