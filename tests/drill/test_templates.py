"""Every drill mail template, rendered for a recipient: fictional senders only, every link one of our
own tracking links, no credential form, the open pixel in HTML only, text and HTML saying the same
thing. (The page that shows a mail and its clues is the tracking app's, tests/drill/test_tracking.py;
no template stands on the public site, tests/drill/test_answers_private.py.)"""

from __future__ import annotations

import os
import re
import shutil
import unicodedata
from datetime import UTC, datetime, timedelta
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import pytest

from campaign_core.clock import FixedClock
from campaign_core.tokens import Signer
from drill_sender.templates import (
    MAILS_DIR,
    MONTHS,
    TRACK_PURPOSE,
    VARIANTS,
    DrillTemplate,
    RenderedMail,
    TemplateError,
    load_all,
    load_template,
    render,
    tracking_token,
)
from tests.support import TEST_SECRET

BASE_URL = "https://drill.example.jp"
MESSAGE_ID = "msg-0001"
RECIPIENT = "taro.yamada@example.co.jp"
COMPANY = "テスト&サンプル<株式会社>"
DENYLIST_FILE = Path(__file__).with_name("brand_denylist.txt")
KEYS = [f"{month:02d}-{variant}" for month in MONTHS for variant in VARIANTS]
URL = re.compile(r"https?://[^\s\"'<>]+")
# Anything that looks like a host name, to catch a domain written without a scheme.
HOST_LIKE = re.compile(r"\b(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|jp|info|biz|io|co)\b", re.I)


# -- helpers ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def signer() -> Signer:
    return Signer(TEST_SECRET, FixedClock(datetime(2026, 11, 27, 1, 0, tzinfo=UTC)))


@pytest.fixture(scope="module")
def token(signer: Signer) -> str:
    return tracking_token(signer, MESSAGE_ID)


def template_of(key: str) -> DrillTemplate:
    month, variant = key.split("-")
    return load_template(int(month), variant)


def rendered(key: str, token: str) -> RenderedMail:
    return render(
        template_of(key), base_url=BASE_URL, token=token, recipient_email=RECIPIENT, company=COMPANY
    )


class _Html(HTMLParser):
    """Visible text of an HTML mail (body only, `<br>` and blocks as line breaks) and its elements."""

    BLOCKS = frozenset({"p", "div", "li", "tr", "br", "h1", "h2", "h3", "h4", "ul", "ol", "table"})
    HIDDEN = frozenset({"head", "title", "style", "script"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.elements: list[tuple[str, dict[str, str]]] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {name: value or "" for name, value in attrs}))
        if tag in self.HIDDEN:
            self._hidden += 1
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self._hidden -= 1
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)

    @property
    def text(self) -> str:
        return "".join(self.parts)


def parse_html(document: str) -> _Html:
    parser = _Html()
    parser.feed(document)
    parser.close()
    return parser


def sentences(text: str) -> list[str]:
    """Normalised sentences: NFKC, URLs removed, split at line breaks and after 。!?, white space
    inside a sentence dropped (HTML source wraps lines where the text part does not)."""
    plain = URL.sub("", unicodedata.normalize("NFKC", text))
    pieces = (piece for line in plain.splitlines() for piece in re.split(r"(?<=[。!?])", line))
    return [squeezed for piece in pieces if (squeezed := re.sub(r"\s+", "", piece))]


@cache
def denylist() -> tuple[str, ...]:
    lines = DENYLIST_FILE.read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#"))


def brands_in(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text)  # full-width "ＮＴＴ" is still NTT
    found = []
    for brand in denylist():
        if brand.isascii():
            # Whole words only: "au" is a carrier, "auto" is not.
            pattern = r"(?<![A-Za-z0-9])" + re.escape(brand) + r"(?![A-Za-z0-9])"
            if re.search(pattern, text, flags=re.IGNORECASE):
                found.append(brand)
        elif brand in text:
            found.append(brand)
    return found


# -- the set of templates --------------------------------------------------------------------------


def test_every_month_has_both_variants_with_all_files() -> None:
    months = sorted(path.name for path in MAILS_DIR.iterdir() if path.is_dir())
    assert months == [f"{month:02d}" for month in range(1, 13)]
    for month in months:
        variants = sorted(path.name for path in (MAILS_DIR / month).iterdir() if path.is_dir())
        assert variants == sorted(VARIANTS), month
        for variant in variants:
            for name in ("meta.yml", "body.txt", "body.html"):
                assert (MAILS_DIR / month / variant / name).is_file(), f"{month}/{variant}/{name}"
    assert [template.key for template in load_all()] == KEYS


def test_texts_change_every_month() -> None:
    templates = load_all()
    for variant in VARIANTS:
        subjects = [t.subject for t in templates if t.variant == variant]
        bodies = [
            (t.directory / "body.txt").read_text(encoding="utf-8") for t in templates if t.variant == variant
        ]
        assert len(set(subjects)) == 12, variant
        assert len(set(bodies)) == 12, variant


def test_the_denylist_is_broad_and_the_matcher_can_fail() -> None:
    assert len(denylist()) >= 80
    for must in (
        "Amazon",
        "楽天",
        "ヤマト運輸",
        "佐川急便",
        "日本郵便",
        "三菱UFJ",
        "みずほ",
        "国税庁",
        "au",
        "LINE",
    ):
        assert must in denylist()
    # The matcher finds brands in running text, and leaves look-alike words alone.
    assert brands_in("Amazonギフト券が当選") == ["Amazon"]
    assert brands_in("楽天からのお知らせ") == ["楽天"]
    assert "au" in brands_in("au PAY の残高")
    assert brands_in("auto mail from a server") == []
    assert brands_in("ＮＴＴからのお知らせ") == ["NTT"]


# -- each template, rendered -----------------------------------------------------------------------


@pytest.mark.parametrize("key", KEYS)
def test_no_real_brand_anywhere(key: str, token: str) -> None:
    mail = rendered(key, token)
    template = mail.template
    visible_html = URL.sub("", parse_html(mail.html).text)
    fields = {
        "subject": mail.subject,
        "sender name": mail.sender_name,
        "sender address": mail.sender_local_part,
        "text": URL.sub("", mail.text).replace(RECIPIENT, "").replace(COMPANY, ""),
        "html": visible_html.replace(RECIPIENT, "").replace(COMPANY, ""),
        "topic": f"{template.topic} {template.season} {template.attachment or ''}",
        "clues": " ".join(f"{clue.where} {clue.text}" for clue in template.clues),
    }
    found = {name: brands_in(value) for name, value in fields.items() if brands_in(value)}
    assert not found, f"{key}: real names {found}"


@pytest.mark.parametrize("key", KEYS)
def test_every_html_link_is_our_own_tracking_link(key: str, token: str) -> None:
    mail = rendered(key, token)
    click = re.compile(re.escape(f"{BASE_URL}/t/c/{token}?l=") + r"([a-z0-9_-]+)")
    names: list[str] = []
    for tag, attrs in parse_html(mail.html).elements:
        for attribute in ("href", "src", "action", "background", "srcset", "formaction", "data", "poster"):
            if attribute not in attrs:
                continue
            value = attrs[attribute]
            if tag == "a" and attribute == "href":
                match = click.fullmatch(value)
                assert match, f"{key}: <a href={value!r}> is not a click-tracking link"
                names.append(match.group(1))
            elif tag == "img" and attribute == "src":
                assert value == f"{BASE_URL}/t/o/{token}.gif", f"{key}: <img src={value!r}>"
            else:
                pytest.fail(f"{key}: unexpected <{tag} {attribute}={value!r}>")
    # Every declared link is used, no other one, and the rendered list reports them in order.
    assert set(names) == set(mail.template.links), key
    assert list(mail.click_urls) == [f"{BASE_URL}/t/c/{token}?l={name}" for name in dict.fromkeys(names)]
    # No address of any other host, even as plain text.
    visible = URL.sub("", parse_html(mail.html).text).replace(RECIPIENT, "")
    assert not HOST_LIKE.findall(visible), key


@pytest.mark.parametrize("key", KEYS)
def test_every_url_in_the_text_is_our_own_tracking_link(key: str, token: str) -> None:
    mail = rendered(key, token)
    urls = URL.findall(mail.text)
    assert urls, f"{key}: the text part has no link"
    for url in urls:
        assert url in mail.click_urls, f"{key}: {url} is not one of the click-tracking links"
    assert not HOST_LIKE.findall(URL.sub("", mail.text).replace(RECIPIENT, "")), key


@pytest.mark.parametrize("key", KEYS)
def test_template_files_hold_no_literal_url(key: str) -> None:
    template = template_of(key)
    for name in ("body.txt", "body.html", "meta.yml"):
        source = (template.directory / name).read_text(encoding="utf-8")
        assert not URL.search(source), f"{key}/{name}"
        assert "//" not in source and "www." not in source, f"{key}/{name}"
        assert not HOST_LIKE.findall(source), f"{key}/{name}"


@pytest.mark.parametrize("key", KEYS)
def test_no_credential_form_and_nothing_active(key: str, token: str) -> None:
    mail = rendered(key, token)
    for part, content in (("html", mail.html), ("text", mail.text)):
        lowered = content.lower()
        for forbidden in (
            "<form",
            "<input",
            "password",
            "<script",
            "<iframe",
            "<button",
            "<textarea",
            "<select",
        ):
            assert forbidden not in lowered, f"{key} ({part}) holds {forbidden}"
    tags = {tag for tag, _ in parse_html(mail.html).elements}
    assert not tags & {"form", "input", "script", "iframe", "button", "textarea", "select", "object", "embed"}


@pytest.mark.parametrize("key", KEYS)
def test_open_pixel_is_in_the_html_only(key: str, token: str) -> None:
    mail = rendered(key, token)
    pixel = f"{BASE_URL}/t/o/{token}.gif"
    images = [attrs for tag, attrs in parse_html(mail.html).elements if tag == "img"]
    assert images == [images[0]] and images[0]["src"] == pixel, key
    assert images[0]["alt"] == "" and images[0]["width"] == "1" and images[0]["height"] == "1"
    assert mail.pixel_url == pixel and mail.tracking_urls[-1] == pixel
    assert "/t/o/" not in mail.text and "<img" not in mail.text


@pytest.mark.parametrize("key", KEYS)
def test_text_and_html_say_the_same_thing(key: str, token: str) -> None:
    mail = rendered(key, token)
    from_text = sentences(mail.text)
    from_html = sentences(parse_html(mail.html).text)
    assert len(from_text) >= 5, key
    assert from_html == from_text, f"{key}: the parts differ"


@pytest.mark.parametrize("key", KEYS)
def test_values_are_escaped_in_html_and_kept_in_text(key: str, token: str) -> None:
    mail = rendered(key, token)
    source = (mail.template.directory / "body.txt").read_text(encoding="utf-8")
    if "company" in source:
        assert COMPANY in mail.text
        assert "テスト&amp;サンプル&lt;株式会社&gt;" in mail.html
    if "recipient_email" in source:
        assert RECIPIENT in mail.text and RECIPIENT in mail.html
    assert "{{" not in mail.text + mail.html and "{%" not in mail.text + mail.html


@pytest.mark.parametrize("key", KEYS)
def test_meta_describes_a_fictional_sender_and_the_clues(key: str) -> None:
    template = template_of(key)
    assert re.fullmatch(r"[a-z0-9][a-z0-9._-]{1,40}", template.sender_local_part), key
    assert template.sender_name and template.subject and template.topic and template.season
    assert len(template.clues) >= 3, f"{key}: a learning page needs at least three clues"
    if template.variant == "obvious":
        # The spotting variant mentions a suspicious attachment name and pushes for urgency.
        assert template.attachment and re.search(r"\.(zip|exe|xlsm|docm|html)$", template.attachment)
        body = (template.directory / "body.txt").read_text(encoding="utf-8")
        assert template.attachment in body
        assert re.search(r"本日|至急|以内|今すぐ|までに", body + template.subject), key


def test_the_token_is_small_signed_and_carries_the_message_id(signer: Signer, token: str) -> None:
    assert len(token) < 100
    assert signer.unsign(TRACK_PURPOSE, token, max_age=timedelta(days=60)) == {"m": MESSAGE_ID}
    mail = rendered("01-obvious", token)
    for url in mail.tracking_urls:
        carried = re.search(r"/t/[co]/([^/?]+?)(?:\.gif)?(?:\?|$)", url)
        assert carried and carried.group(1) == token, url


# -- broken templates are refused ------------------------------------------------------------------


def _copy_template(tmp_path: Path, key: str = "01-obvious") -> Path:
    month, variant = key.split("-")
    target = tmp_path / "drill_mails"
    shutil.copytree(MAILS_DIR / month / variant, target / month / variant)
    for shared in MAILS_DIR.glob("_*.html"):  # the layout and the partials it and the bodies use
        shutil.copy(shared, target / shared.name)
    return target


@pytest.mark.parametrize(
    ("name", "addition", "named"),
    [
        ("body.txt", '{{ link("elsewhere") }}', "elsewhere"),  # a link meta.yml does not declare
        ("body.html", "{{ password }}", "password"),  # a variable render does not give
    ],
    ids=["undeclared-link", "unknown-variable"],
)
def test_an_undeclared_link_or_unknown_variable_is_refused(
    tmp_path: Path, token: str, name: str, addition: str, named: str
) -> None:
    root = _copy_template(tmp_path)
    body = root / "01" / "obvious" / name
    body.write_text(body.read_text(encoding="utf-8") + addition + "\n", encoding="utf-8")
    template = load_template(1, "obvious", root)
    with pytest.raises(TemplateError, match=named):
        render(template, base_url=BASE_URL, token=token, recipient_email=RECIPIENT, company=COMPANY)


def test_a_meta_for_another_month_is_refused(tmp_path: Path) -> None:
    root = _copy_template(tmp_path)
    meta = root / "01" / "obvious" / "meta.yml"
    meta.write_text(meta.read_text(encoding="utf-8").replace("month: 1", "month: 2"), encoding="utf-8")
    with pytest.raises(TemplateError, match="another month"):
        load_template(1, "obvious", root)


def test_a_missing_template_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="02-subtle"):
        load_template(2, "subtle", _copy_template(tmp_path))


def test_an_edited_meta_is_read_again(tmp_path: Path) -> None:
    # Templates are cached between messages; an edit by HQ must still show on the next load.
    root = _copy_template(tmp_path)
    meta = root / "01" / "obvious" / "meta.yml"
    before = load_template(1, "obvious", root)
    assert load_template(1, "obvious", root) is before
    meta.write_text(
        meta.read_text(encoding="utf-8").replace(before.subject, "件名を変えました"), encoding="utf-8"
    )
    stamp = meta.stat().st_mtime_ns + 1_000_000_000
    os.utime(meta, ns=(stamp, stamp))
    assert load_template(1, "obvious", root).subject == "件名を変えました"
