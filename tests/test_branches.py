"""The branches (支部): `content/branches.yml` agrees with `content/chambers.yml`, the contact page
lists every branch and publishes no placeholder address as real, the chamber kit says whom each
chamber asks, and a production build stops while example contacts remain."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from lxml import html
from site_build.branches import parse_branches

from campaign_core import content
from campaign_core.settings import PROJECT_ROOT
from tests.support.site import build_site

CONTENT = PROJECT_ROOT / "content"


def page(built_site: Path, path: str) -> html.HtmlElement:
    (found,) = html.fromstring((built_site / path).read_text(encoding="utf-8")).xpath("//article")
    return found


def test_every_prefecture_and_chamber_has_exactly_one_branch() -> None:
    branches = content.branches(CONTENT)
    prefectures = [p for b in branches for p in b.prefectures]
    assert len(prefectures) == len(set(prefectures)) == 47
    for chamber in content.chambers(CONTENT):
        branch = content.branch_of(CONTENT, chamber)
        assert branch is not None and chamber.code in branch.chambers
        assert chamber.prefecture in branch.prefectures, chamber
    assert content.find_branch(CONTENT, "北海道支部") == content.find_branch(CONTENT, " Hokkaido ")


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda raw: raw[1]["prefectures"].append("北海道"), "北海道 is in both hokkaido and tohoku"),
        (lambda raw: raw[0]["contact"].update(email="nowhere"), "is not a mail address"),
        (lambda raw: raw[0].pop("prefectures"), "needs code, name, prefectures"),
        (lambda raw: raw.append(dict(raw[0])), "unique"),
    ],
)
def test_a_wrong_branches_file_is_refused_naming_the_problem(
    change: Callable[[Any], object], says: str
) -> None:
    raw = yaml.safe_load((CONTENT / "branches.yml").read_text(encoding="utf-8"))
    change(raw)
    with pytest.raises(ValueError, match=re.escape(says)):
        parse_branches(raw)


def test_the_contact_page_lists_every_branch_marked_as_an_example(built_site: Path) -> None:
    root = page(built_site, "contact/index.html")
    for branch in content.branches(CONTENT):
        (desk,) = root.xpath(f".//*[@id='branch-{branch.code}']")
        text = re.sub(r"\s+", " ", desk.text_content())
        assert branch.name in text and branch.contact.phone in text and branch.contact.hours in text
        assert all(prefecture in text for prefecture in branch.prefectures)
        assert desk.xpath(f".//a[@href='mailto:{branch.contact.email}']")
        assert ("見本" in text) == branch.example


def test_the_contact_page_publishes_no_placeholder_chamber_address(built_site: Path) -> None:
    root = page(built_site, "contact/index.html")
    (desks,) = root.xpath(".//details[contains(@class, 'chamber-desks')]")
    text = desks.text_content()
    for chamber in content.chambers(CONTENT):
        assert chamber.name in text
        assert content.is_example_address(chamber.contact_email)  # today every address is a placeholder
        assert chamber.contact_email not in text
    assert not desks.xpath(".//a[starts-with(@href, 'mailto:')]")
    assert "ホームページ" in text


def test_the_chamber_kit_says_whom_each_chamber_asks(built_site: Path) -> None:
    root = page(built_site, "chambers/index.html")
    (table,) = root.xpath(".//table[contains(@class, 'kit-branch')]")
    rows = {
        row.xpath("string(./th)").strip(): re.sub(r"\s+", " ", row.text_content())
        for row in table.xpath("./tbody/tr")
    }
    for chamber in content.chambers(CONTENT):
        branch = content.branch_of(CONTENT, chamber)
        assert branch is not None
        (row,) = [text for name, text in rows.items() if name.startswith(branch.name)]
        assert chamber.name in row and branch.contact.email in row


def test_a_production_build_stops_while_example_contacts_remain(tmp_path: Path) -> None:
    result = build_site(tmp_path / "site", CAMPAIGN_BUILD="production")
    assert result.returncode != 0
    log = result.stdout + result.stderr
    assert "本番用のビルドに、見本の連絡先が" in log
    assert "branches.yml: hokkaido(北海道支部)" in log and "chambers.yml: sapporo(札幌商工会議所)" in log


def test_a_production_build_with_real_contacts_passes(tmp_path: Path) -> None:
    real = tmp_path / "content"
    shutil.copytree(CONTENT, real)
    branches = yaml.safe_load((real / "branches.yml").read_text(encoding="utf-8"))
    for branch in branches:
        branch["example"] = False
        branch["contact"]["email"] = f"{branch['code']}@branch.users-kyokai.test"
    chambers = yaml.safe_load((real / "chambers.yml").read_text(encoding="utf-8"))
    for chamber in chambers:
        chamber["contact_email"] = f"desk@{chamber['code']}.cci.test"
    for name, data in (("branches", branches), ("chambers", chambers)):
        (real / f"{name}.yml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert content.example_contacts(real) == []

    result = build_site(tmp_path / "site", CAMPAIGN_BUILD="production", CAMPAIGN_CONTENT_DIR=str(real))
    assert result.returncode == 0, result.stdout + result.stderr
    contact = (tmp_path / "site" / "contact" / "index.html").read_text(encoding="utf-8")
    assert "見本" not in contact and "mailto:desk@sapporo.cci.test" in contact
