"""The help, self-check, privacy and contact pages: their data in `content/`, their renderers and the
built pages (links that resolve, anchors that exist, the consent text and contact data shown)."""

from __future__ import annotations

import copy
import itertools
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from lxml import html
from site_build.help import parse_help
from site_build.privacy import parse_consent, parse_organisation, version_label
from site_build.selfcheck import parse_selfcheck

from campaign_core.content_cache import load_yaml
from campaign_core.settings import PROJECT_ROOT

CONTENT = PROJECT_ROOT / "content"
MY_PAGES = [
    "help/index.html",
    "selfcheck/index.html",
    "privacy/index.html",
    "contact/index.html",
    "further/index.html",
    "further/action-plan/index.html",
    "further/ransomware/index.html",
]


def raw(name: str) -> Any:
    return copy.deepcopy(load_yaml(CONTENT, name))


# --- self-check data -------------------------------------------------------------------------


def test_selfcheck_has_25_items_in_groups_of_5_13_7() -> None:
    check = parse_selfcheck(raw("selfcheck"))
    assert [len(group.items) for group in check.groups] == [5, 13, 7]
    assert len(check.items) == 25
    # Numbers run 1..25 across the groups, as on IPA's paper sheet.
    assert [item.number for item in check.items] == list(range(1, 26))


def test_selfcheck_ids_are_unique_and_every_item_has_text() -> None:
    check = parse_selfcheck(raw("selfcheck"))
    ids = [item.id for item in check.items]
    assert len(ids) == len(set(ids))
    assert all(item.text.strip().endswith("か。") for item in check.items), "items are yes/no questions"


def test_selfcheck_scoring_scheme_is_4_2_0_minus_1_for_a_100_point_total() -> None:
    check = parse_selfcheck(raw("selfcheck"))
    assert sorted(choice.points for choice in check.choices) == [-1, 0, 2, 4]
    assert (check.min_total, check.max_total) == (-25, 100)


def test_every_possible_total_falls_in_exactly_one_band() -> None:
    check = parse_selfcheck(raw("selfcheck"))
    points = sorted({choice.points for choice in check.choices})
    # Every total reachable with 25 answers, not just the integers between the extremes.
    reachable = {sum(combo) for combo in itertools.combinations_with_replacement(points, len(check.items))}
    for total in reachable:
        covering = [band for band in check.bands if band.min <= total <= band.max]
        assert len(covering) == 1, total
        assert check.band_for(total) is covering[0]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda bands: bands[0].update(min=bands[0]["min"] + 1), "starts at"),  # a gap below the top band
        (lambda bands: bands[-1].update(min=-24), "starts at"),  # -25 is left uncovered
        (lambda bands: bands[0].update(max=99), "stop at"),  # 100 is left uncovered
        (lambda bands: bands[1].update(max=bands[1]["max"] + 1), "starts at"),  # two bands overlap
    ],
)
def test_bands_with_a_gap_or_overlap_are_rejected(change: Any, message: str) -> None:
    data = raw("selfcheck")
    change(data["bands"])
    with pytest.raises(ValueError, match=message):
        parse_selfcheck(data)


def test_duplicate_item_ids_are_rejected() -> None:
    data = raw("selfcheck")
    data["groups"][1]["items"][0]["id"] = data["groups"][0]["items"][0]["id"]
    with pytest.raises(ValueError, match="unique"):
        parse_selfcheck(data)


def test_score_adds_the_points_of_each_answer_per_group() -> None:
    check = parse_selfcheck(raw("selfcheck"))
    answers = {item.id: "done" for item in check.items}
    assert check.score(answers) == (100, {"basic": 20, "staff": 52, "org": 28})
    answers = {item.id: "unknown" for item in check.items}
    assert check.score(answers)[0] == -25
    assert check.band_for(-25).id == "start"
    assert check.band_for(100).id == "strong"


# --- help data -------------------------------------------------------------------------------


def test_every_situation_has_signs_first_steps_and_a_reachable_contact() -> None:
    guide = parse_help(raw("help"))
    assert len(guide.situations) >= 10
    for situation in guide.situations:
        assert situation.signs, situation.id
        assert len(situation.steps) >= 2, situation.id
        assert situation.contacts, situation.id
        assert any(contact.url or contact.phone for contact in situation.contacts), situation.id


def test_help_covers_the_situations_the_consultation_manual_names() -> None:
    ids = {situation.id for situation in parse_help(raw("help")).situations}
    expected = {"virus", "ransomware", "suspicious-mail", "bec", "fake-invoice", "account-takeover", "leak"}
    assert expected | {"defaced", "lost-device", "fake-warning"} <= ids


def test_help_contacts_use_official_https_sites() -> None:
    guide = parse_help(raw("help"))
    for contact in guide.contacts:
        if contact.url:
            assert contact.url.startswith("https://"), contact.key
    names = {contact.key: contact for contact in guide.contacts}
    assert names["consumer-hotline"].phone == "188"
    assert names["houterasu"].phone == "0570-078374"
    assert names["jpcert"].url is not None and "jpcert.or.jp" in names["jpcert"].url


def test_a_situation_naming_an_unknown_contact_is_rejected() -> None:
    data = raw("help")
    data["situations"][0]["contacts"] = ["no-such-desk"]
    with pytest.raises(ValueError, match="unknown contacts"):
        parse_help(data)


def test_a_contact_without_any_way_to_reach_it_is_rejected() -> None:
    data = raw("help")
    data["contacts"]["ipa-anshin"] = {"name": "窓口", "what": "説明"}
    with pytest.raises(ValueError, match="no URL, phone or e-mail"):
        parse_help(data)


def test_phone_numbers_become_dialable_tel_links() -> None:
    contacts = {contact.key: contact for contact in parse_help(raw("help")).contacts}
    assert contacts["houterasu"].tel == "tel:0570078374"
    assert contacts["police-consult"].tel == "tel:%239110"


# --- consent and organisation ----------------------------------------------------------------


def test_consent_has_the_version_the_forms_record_and_several_paragraphs() -> None:
    consent = parse_consent(raw("consent"))
    assert consent.version == "2026-11"
    assert len(consent.paragraphs) >= 3
    text = "".join(consent.paragraphs)
    for party in ("ユーザ協会", "商工会議所", "セミナーに協力する団体", "訓練レポート"):
        assert party in text
    assert version_label(consent.version) == "2026年11月版"


def test_a_consent_version_that_is_not_a_date_is_rejected() -> None:
    with pytest.raises(ValueError, match="version"):
        parse_consent({"version": "v1", "text": "本文"})


def test_organisation_gives_an_email_and_office_hours() -> None:
    organisation = parse_organisation(raw("organisation"))
    assert organisation.email == "campaign@drill.example.jp"
    assert organisation.hours


# --- the built pages -------------------------------------------------------------------------


def _page(built_site: Path, path: str) -> html.HtmlElement:
    return html.fromstring((built_site / path).read_text(encoding="utf-8"))


def _resolve(built_site: Path, page: str, href: str) -> tuple[Path, str]:
    """The built file and fragment a relative link from `page` points at."""
    parts = urlsplit(href)
    base = (built_site / page).parent
    target = (base / unquote(parts.path)).resolve() if parts.path else (built_site / page).resolve()
    if target.is_dir():
        target = target / "index.html"
    return target, parts.fragment


@pytest.mark.parametrize("page", MY_PAGES)
def test_internal_links_resolve_to_built_pages_and_anchors(built_site: Path, page: str) -> None:
    tree = _page(built_site, page)
    article = tree.xpath("//article")[0]
    checked = 0
    for href in article.xpath(".//a/@href"):
        if urlsplit(href).scheme or href.startswith("//"):
            continue  # official sites, mailto: and tel: links
        target, fragment = _resolve(built_site, page, href)
        assert target.is_file(), f"{page}: {href} -> {target}"
        if fragment:
            ids = _page(built_site, str(target.relative_to(built_site))).xpath("//@id")
            assert fragment in ids, f"{page}: {href} has no anchor #{fragment}"
        checked += 1
    assert checked, f"{page} has no internal link at all"


def test_help_index_links_every_situation_to_its_section(built_site: Path) -> None:
    tree = _page(built_site, "help/index.html")
    index_links = tree.xpath("//nav[contains(@class, 'help-index')]//a/@href")
    ids = set(tree.xpath("//@id"))
    situations = [situation.id for situation in parse_help(raw("help")).situations]
    assert [href.lstrip("#") for href in index_links][: len(situations)] == situations
    for href in index_links:
        assert href.startswith("#") and href[1:] in ids, href
    # Each situation's section is a heading, so it also reaches the table of contents.
    for situation_id in situations:
        assert tree.xpath(f"//h3[@id='{situation_id}']"), situation_id


def test_selfcheck_page_is_a_form_that_cannot_submit_to_a_server(built_site: Path) -> None:
    tree = _page(built_site, "selfcheck/index.html")
    form = tree.xpath("//form[@id='selfcheck']")[0]
    assert form.get("method") == "dialog"
    assert form.get("action") is None
    items = form.xpath(".//fieldset[@data-item]")
    assert len(items) == 25
    for item in items:
        assert item.xpath("./legend/text()") or item.xpath("./legend/*"), item.get("id")
        radios = item.xpath(".//input[@type='radio']")
        assert len(radios) == 4
        # Every radio sits inside its label, so the label names it.
        assert all(radio.getparent().tag == "label" for radio in radios)
    # The scoring button only appears when the script runs; without it a notice explains why.
    submit = form.xpath(".//button[@type='submit']")[0]
    assert submit.get("hidden") is not None and submit.get("data-js-only") is not None
    assert tree.xpath("//noscript")


def test_selfcheck_bands_in_the_page_match_the_data(built_site: Path) -> None:
    check = parse_selfcheck(raw("selfcheck"))
    tree = _page(built_site, "selfcheck/index.html")
    shown = [
        (el.get("data-band"), int(el.get("data-min")), int(el.get("data-max")))
        for el in tree.xpath("//*[@data-band]")
    ]
    assert shown == [(band.id, band.min, band.max) for band in check.bands]


def test_privacy_page_shows_the_consent_text_and_the_secretariat(built_site: Path) -> None:
    text = _page(built_site, "privacy/index.html").text_content()
    consent = parse_consent(raw("consent"))
    for paragraph in consent.paragraphs:
        assert paragraph in text
    assert consent.version in text
    assert "campaign@drill.example.jp" in text
    for word in ("IP アドレス", "ユーザーエージェント", "削除"):
        assert word in text


def test_contact_page_lists_the_secretariat_every_branch_and_no_placeholder_chamber_address(
    built_site: Path,
) -> None:
    tree = _page(built_site, "contact/index.html")
    mailtos = set(tree.xpath("//article//a[starts-with(@href, 'mailto:')]/@href"))
    assert any(href.startswith("mailto:campaign@drill.example.jp") for href in mailtos)
    for branch in load_yaml(CONTENT, "branches"):
        assert f"mailto:{branch['contact']['email']}" in mailtos, branch["code"]
    text = tree.xpath("string(//article)")
    for chamber in load_yaml(CONTENT, "chambers"):
        # Every address in chambers.yml is a placeholder today: the name is shown, the address is not.
        assert chamber["name"] in text
        assert f"mailto:{chamber['contact_email']}" not in mailtos, chamber["code"]


def test_every_help_contact_is_dated_and_every_phone_desk_gives_its_hours() -> None:
    guide = parse_help(raw("help"))
    for contact in guide.contacts:
        assert contact.checked == "未確認" or re.fullmatch(r"\d{4}-\d{2}-\d{2}", contact.checked), contact.key
        if contact.phone:
            assert contact.hours, f"{contact.key}: a phone desk without its hours"
    data = raw("help")
    data["contacts"]["houterasu"].pop("hours")
    with pytest.raises(ValueError, match="no hours"):
        parse_help(data)
    data = raw("help")
    data["contacts"]["houterasu"]["checked"] = "先月"
    with pytest.raises(ValueError, match="checked"):
        parse_help(data)


def test_help_offers_a_desk_for_companies_without_an_it_vendor_and_a_lawyer_line() -> None:
    guide = parse_help(raw("help"))
    by_id = {situation.id: situation for situation in guide.situations}
    assert "otasuketai" in {contact.key for contact in by_id["virus"].contacts}
    assert "himawari" in {contact.key for contact in by_id["bec"].contacts}
    # The network is cut first, so the step that updates the definitions says how.
    update = next(step for step in by_id["virus"].steps if "定義ファイル" in step)
    assert "USB" in update and "メーカー" in update
