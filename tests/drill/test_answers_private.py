"""The drill mails are the drill's answers: no subject, sender or body line of any template (and of
the one-shot sample) stands anywhere in the public static site, in any file the build writes
(pages, search index, sitemap, 404, scripts)."""

from __future__ import annotations

import gzip
import html
import json
import re
from pathlib import Path

import pytest

from drill_sender.services.oneshot_queue import ONESHOT_VARIANT
from drill_sender.templates import MONTHS, DrillTemplate, load_all, load_template, render

# Lines every business mail starts with; they give nothing away and the spotting guide uses them.
STOCK_LINES = {"いつもお世話になっております。", "お世話になっております。"}
RECIPIENT = "someone@answers.invalid"
COMPANY = "サンプル会社"


def _site_texts(site: Path) -> dict[str, str]:
    """Every text file of the built site as a reader (or a search engine) would read it."""
    texts = {}
    for path in sorted(site.rglob("*")):
        if not path.is_file():
            continue
        raw = path.read_bytes()
        if path.suffix == ".gz":
            raw = gzip.decompress(raw)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue  # images and fonts
        if path.suffix == ".json":  # the search index escapes every Japanese character
            text = json.dumps(json.loads(text), ensure_ascii=False)
        texts[str(path.relative_to(site))] = html.unescape(text)
    return texts


def telltales(template: DrillTemplate) -> list[str]:
    """What would give a template away: subject, sender name and address, distinctive body lines."""
    mail = render(
        template, base_url="https://answers.invalid", token="t", recipient_email=RECIPIENT, company=COMPANY
    )
    lines = [line.strip() for line in mail.text.splitlines()]
    body = [
        line
        for line in lines
        if len(line) >= 10
        and line not in STOCK_LINES
        and not any(own in line for own in ("answers.invalid", COMPANY))
    ]
    return [template.subject, template.sender_name, template.sender_local_part, *body]


TEMPLATES = load_all()
ONESHOT_SAMPLES = {load_template(month, ONESHOT_VARIANT).key for month in MONTHS}


def test_the_scan_finds_a_subject_in_an_escaped_search_index(tmp_path: Path) -> None:
    # The scan itself can fail: the search index escapes Japanese (\\uXXXX) and pages escape "&".
    template = TEMPLATES[0]
    (tmp_path / "search").mkdir()
    index = {"docs": [{"location": "x/", "text": f"... {template.subject} ..."}]}
    (tmp_path / "search" / "search_index.json").write_text(json.dumps(index), encoding="utf-8")
    (tmp_path / "page.html").write_text(f"<p>{html.escape(telltales(template)[-1])}</p>", encoding="utf-8")
    texts = _site_texts(tmp_path)
    assert template.subject in texts["search/search_index.json"]
    assert telltales(template)[-1] in texts["page.html"]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.key)
def test_no_drill_mail_stands_in_the_public_site(built_site: Path, template: DrillTemplate) -> None:
    texts = _site_texts(built_site)
    assert "search/search_index.json" in texts and "sitemap.xml" in texts and "404.html" in texts
    found = [
        (needle, name) for needle in telltales(template) for name, text in texts.items() if needle in text
    ]
    sample = " (the one-shot sample)" if template.key in ONESHOT_SAMPLES else ""
    assert not found, f"{template.key}{sample} stands in the public site: {found[:5]}"


def test_no_learning_page_per_template_is_built(built_site: Path) -> None:
    sitemap = (built_site / "sitemap.xml").read_text(encoding="utf-8")
    assert not re.search(r"/learn/\d\d-", sitemap)
    assert not list((built_site / "learn").glob("[0-9][0-9]-*"))
    index = json.loads((built_site / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert not [d["location"] for d in index["docs"] if re.match(r"learn/\d\d-", d["location"])]
