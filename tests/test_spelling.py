"""One spelling per term across the site, the forms and the mails: 申し込み (never 申込/申込み),
開封時刻 (the report's column, like 報告時刻), フォルダー, and the chamber field named by its form
label 「ご案内を受けた商工会議所」. Scans docs/, content/, every template and the Japanese text of
the product's Python modules.

`content/consent.yml` is left out: its text is versioned (the forms record the version each applicant
agreed to), so its wording changes only together with a new version. `cli/` is being translated as
a whole and joins the scan once that work lands."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from campaign_core.settings import PROJECT_ROOT

REJECTED = {
    "申込": re.compile(r"申込"),  # 申し込み / お申し込み / 申し込みフォーム
    "開封時間": re.compile(r"開封時間"),  # 開封時刻
    "フォルダ": re.compile(r"フォルダ(?!ー)"),  # フォルダー
    "所属の商工会議所": re.compile(r"所属の商工会議所|商工会議所名の記入"),  # 「ご案内を受けた商工会議所」欄
}
SCANNED = ("docs", "content", "theme", "form_lambda", "drill_sender", "hq", "campaign_core", "local")
SUFFIXES = {".md", ".yml", ".html", ".txt", ".py", ".css", ".js"}
EXEMPT = {Path("content/consent.yml")}


def scanned_files() -> list[Path]:
    files = []
    for folder in SCANNED:
        for path in sorted((PROJECT_ROOT / folder).rglob("*")):
            relative = path.relative_to(PROJECT_ROOT)
            if path.is_file() and path.suffix in SUFFIXES and relative not in EXEMPT:
                files.append(relative)
    return files


def test_the_scan_reaches_the_site_the_forms_and_the_mails() -> None:
    files = {str(path) for path in scanned_files()}
    for expected in (
        "docs/drill/index.md",
        "content/help.yml",
        "form_lambda/templates/forms/_macros.html",
        "form_lambda/templates/mail/seminar_reply/body.txt",
        "drill_sender/mail/drill_report/body.html",
        "drill_sender/report.html",
    ):
        assert expected in files


@pytest.mark.parametrize("variant", sorted(REJECTED))
def test_no_rejected_spelling_remains(variant: str) -> None:
    found = [
        f"{path}:{number}: {line.strip()[:60]}"
        for path in scanned_files()
        for number, line in enumerate((PROJECT_ROOT / path).read_text(encoding="utf-8").splitlines(), 1)
        if REJECTED[variant].search(line)
    ]
    assert found == [], f"{variant} is spelled the other way: " + "; ".join(found[:10])


def test_the_chamber_field_is_labelled_as_the_pages_name_it() -> None:
    macros = (PROJECT_ROOT / "form_lambda/templates/forms/_macros.html").read_text(encoding="utf-8")
    assert '"ご案内を受けた商工会議所"' in macros
