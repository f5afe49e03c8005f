"""The guide pages for managers, security officers and staff, read from the built site: each page is
there with a sound heading outline, states the drill rules the campaign plan sets (and the same ones the
forms and `content/` use), and carries what its readers need (flow diagram with a text alternative, the
notice mail to copy, the check sheet, fictional examples only)."""

from __future__ import annotations

import itertools
import re
import unicodedata
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from lxml import html

from campaign_core.content_cache import load_yaml
from campaign_core.settings import PROJECT_ROOT
from drill_sender.services.checksheet import ACTIONS
from form_lambda.validation import MAX_PARTICIPANTS

CONTENT = PROJECT_ROOT / "content"

PAGES = {
    "top": "index.html",
    "drill": "drill/index.html",
    "oneshot": "drill/oneshot/index.html",
    "faq": "drill/faq/index.html",
    "officers": "officers/index.html",
    "notice": "officers/notice/index.html",
    "staff": "officers/staff/index.html",
    "participants": "participants/index.html",
    "spotting": "participants/spotting/index.html",
    "managers": "managers/index.html",
}


def article(built_site: Path, name: str) -> html.HtmlElement:
    """The page's main text (Material's `article`), without header, navigation or footer."""
    document = html.fromstring((built_site / PAGES[name]).read_text(encoding="utf-8"))
    found = document.xpath("//article")
    assert len(found) == 1, f"{PAGES[name]}: expected one <article>"
    return found[0]


def text_of(element: html.HtmlElement) -> str:
    return re.sub(r"\s+", " ", element.text_content())


def section(root: html.HtmlElement, heading_id: str) -> html.HtmlElement:
    """A wrapper holding the h2 with this id and every sibling up to the next h2."""
    heading = root.get_element_by_id(heading_id)
    assert heading.tag == "h2", f"#{heading_id} is a {heading.tag}, not a section heading"
    box = html.Element("div")
    for sibling in heading.itersiblings():
        if sibling.tag == "h2":
            break
        box.append(html.fromstring(html.tostring(sibling)))
    return box


def resolved_links(root: html.HtmlElement, page_file: str) -> set[str]:
    """Internal link targets as site paths ("drill/", "apply/drill/"), resolved from the page."""
    base = "https://site.invalid/" + page_file.removesuffix("index.html")
    targets = set()
    for href in root.xpath(".//a/@href"):
        parts = urlsplit(urljoin(base, href))
        if parts.netloc == "site.invalid":
            targets.add(parts.path.lstrip("/"))
    return targets


# --- every page ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_has_one_h1_and_no_skipped_heading_level(built_site: Path, name: str) -> None:
    root = article(built_site, name)
    levels = [int(h.tag[1]) for h in root.iter("h1", "h2", "h3", "h4", "h5", "h6")]
    assert levels[0] == 1 and levels.count(1) == 1, f"{name}: headings {levels}"
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1, f"{name}: h{before} is followed by h{after}"


@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_is_a_written_page_not_a_draft(built_site: Path, name: str) -> None:
    text = text_of(article(built_site, name))
    # The one-line drafts said 準備中; a finished page has real body text in Japanese.
    assert "準備中" not in text
    assert len(re.findall(r"[\u3040-\u30ff\u4e00-\u9fff]", text)) > 600, f"{name} is too short"


# --- the drill page -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rule",
    [
        "無料",
        "1事業所1回限り",
        "最大10名",
        "24時間365日",
        "早ければ約2週間",
        "約1週間後",
        "開封時刻",
        "適切な動作",
        "備考",
        "商工会議所名",
        "開封したかどうか",
        "報告するまでにかかった時間",
    ],
)
def test_drill_page_states_the_rule(built_site: Path, rule: str) -> None:
    assert rule in text_of(article(built_site, "drill"))


def test_drill_page_participant_limit_is_the_one_the_form_enforces(built_site: Path) -> None:
    # The form rejects more than MAX_PARTICIPANTS addresses; the page must promise the same number.
    text = text_of(article(built_site, "drill"))
    assert f"最大{MAX_PARTICIPANTS}名" in text
    stated = {int(n) for n in re.findall(r"最大(\d+)名", text)}
    assert stated == {MAX_PARTICIPANTS}


def test_drill_page_states_every_numeric_rule_of_the_kit_data(built_site: Path) -> None:
    # content/slides.yml holds the drill rules shown to chambers; the drill page must not contradict them.
    rules = load_yaml(CONTENT, "slides")["rules"]
    facts = {fact for rule in rules for fact in re.findall(r"\d+(?:時間\d+日|名|回)", rule["text"])}
    assert facts, "the kit rules name no number: the data changed shape"
    text = text_of(article(built_site, "drill")).replace("1事業所1回", "1つの事業所につき1回")
    missing = sorted(fact for fact in facts if fact not in text)
    assert missing == []


def test_drill_page_says_open_tracking_can_fail_and_why(built_site: Path) -> None:
    text = text_of(article(built_site, "drill"))
    assert "正しく記録されない" in text
    assert "セキュリティ製品" in text and "設定" in text


def test_drill_page_explains_the_chamber_feedback(built_site: Path) -> None:
    text = text_of(section(article(built_site, "drill"), "chamber"))
    assert "商工会議所" in text and "お知らせ" in text
    assert "記入がない場合" in text


def test_drill_page_apply_section_lists_the_steps_in_order(built_site: Path) -> None:
    root = article(built_site, "drill")
    apply = section(root, "apply")
    assert root.get_element_by_id("apply").text_content().strip() == "申し込み方法"
    steps = [text_of(li) for li in apply.xpath("./ol/li")]
    assert len(steps) == 4
    for step, word in zip(steps, ["申し込みフォーム", "確認メール", "受付完了メール", "訓練"], strict=True):
        assert word in step
    assert "24時間365日" in text_of(apply)
    assert "apply/drill/" in resolved_links(apply, PAGES["drill"])


def test_drill_flow_diagram_is_inline_svg_with_a_text_alternative(built_site: Path) -> None:
    root = article(built_site, "drill")
    (svg,) = root.xpath(".//figure//*[local-name()='svg']")
    assert svg.get("role") == "img"
    labels = []
    for ref in svg.get("aria-labelledby", "").split():
        (target,) = root.xpath(f".//*[@id='{ref}']")
        labels.append(text_of(target).strip())
    assert len(labels) == 2 and all(labels), "title and description must both have text"
    description = labels[1]
    # The description walks through every box of the drawing, in order.
    boxes = svg.xpath(".//*[local-name()='circle']/following-sibling::*[local-name()='text'][1]")
    numbers = [text_of(box).strip() for box in boxes]
    assert numbers == [str(n) for n in range(1, len(numbers) + 1)] and len(numbers) >= 6
    positions = [description.find(f"{n} ") for n in numbers]
    assert -1 not in positions and positions == sorted(positions)
    assert root.xpath(".//figure/figcaption")
    assert "mermaid" not in html.tostring(root, encoding="unicode")


def test_drill_consent_section_names_the_parties_of_the_consent_text(built_site: Path) -> None:
    consent = load_yaml(CONTENT, "consent")["text"]
    root = article(built_site, "drill")
    text = text_of(section(root, "consent"))
    for party in ("ユーザ協会", "共催", "セミナーに協力"):
        assert party in consent, f"consent.yml no longer names {party}"
        assert party in text
    assert "privacy/" in resolved_links(section(root, "consent"), PAGES["drill"])


# --- one-shot and FAQ ---------------------------------------------------------------------------


def test_oneshot_page_explains_the_three_statuses_and_hidden_opens(built_site: Path) -> None:
    root = article(built_site, "oneshot")
    cells = [text_of(td).strip() for td in root.xpath(".//table//tr/td[1]")]
    assert cells == ["送信済み", "開封", "クリック"]
    text = text_of(root)
    assert "1通" in text and "1つのアドレス" in text
    assert "開封が記録されません" in text
    assert "apply/oneshot/" in resolved_links(root, PAGES["oneshot"])


def test_faq_has_at_least_ten_answered_questions(built_site: Path) -> None:
    root = article(built_site, "faq")
    questions = root.xpath(".//details[contains(@class, 'question')]")
    assert len(questions) >= 10
    for details in questions:
        summary = text_of(details.xpath("./summary")[0]).strip()
        answer = text_of(details).replace(summary, "", 1).strip()
        assert summary and len(answer) > 20, f"unanswered: {summary}"


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("費用", "かかりません"),
        ("何人まで", f"最大{MAX_PARTICIPANTS}名"),
        ("2回目", "1事業所につき1回限り"),
        ("支店", "事業所ごと"),
        ("危険", "本物のウイルス"),
        ("結果はいつ", "早ければ約2週間"),
        ("どんなデータ", "開封した時刻"),
    ],
)
def test_faq_answers_the_question_from_the_rules(built_site: Path, question: str, answer: str) -> None:
    root = article(built_site, "faq")
    matches = [d for d in root.xpath(".//details") if question in text_of(d.xpath("./summary")[0])]
    assert len(matches) == 1, f"no single question about {question}"
    assert answer in text_of(matches[0])


# --- officers -----------------------------------------------------------------------------------


def test_officer_manual_has_before_during_after_and_the_check_sheet(built_site: Path) -> None:
    root = article(built_site, "officers")
    for heading_id in ("why", "before", "during", "check-sheet", "after"):
        assert root.get_element_by_id(heading_id).tag == "h2"
    assert "約1週間後" in text_of(section(root, "after"))


def test_check_sheet_has_the_report_columns_and_a_row_per_possible_participant(built_site: Path) -> None:
    root = article(built_site, "officers")
    table = root.get_element_by_id("check-sheet-table")
    headers = [text_of(th).strip() for th in table.xpath(".//thead//th")]
    assert headers == ["No.", "参加者", "報告の有無", "報告を受けた日時", "適切な動作", "備考"]
    assert all(th.get("scope") == "col" for th in table.xpath(".//thead//th"))
    rows = table.xpath("./tbody/tr")
    assert [text_of(row[0]).strip() for row in rows] == [str(n) for n in range(1, MAX_PARTICIPANTS + 1)]
    assert table.xpath("./caption")


def test_manual_lists_the_actions_the_online_check_sheet_offers(built_site: Path) -> None:
    # The officer records 適切な動作 by choosing from the online sheet's list; the manual explains the
    # same choices, in the same order.
    root = article(built_site, "officers")
    (term,) = [dt for dt in root.iter("dt") if text_of(dt).strip() == "適切な動作"]
    choices = [text_of(li).strip() for li in term.getnext().xpath(".//li")]
    assert choices == [label for _, label in ACTIONS]


def test_officer_manual_has_the_reveal_mail_to_copy(built_site: Path) -> None:
    root = article(built_site, "officers")
    blocks = root.xpath(".//div[contains(@class, 'highlight')]//pre")
    assert len(blocks) == 1
    assert "訓練でした" in text_of(blocks[0]) and "〇〇" in text_of(blocks[0])


def test_notice_page_has_one_code_block_with_blanks_to_fill(built_site: Path) -> None:
    root = article(built_site, "notice")
    # One block per page: Material's copy button adds a navigation landmark per block (axe: unique).
    blocks = root.xpath(".//div[contains(@class, 'highlight')]//pre/code")
    assert len(blocks) == 1
    mail = blocks[0].text_content()
    assert mail.startswith("件名：")
    assert mail.count("〇〇") >= 5
    for rule in ("定期的", "添付ファイルを開かない", "LANケーブル", "初期化", "評価に使うものではありません"):
        assert rule in mail
    # The notice must not give the date away.
    assert not re.search(r"\d+月\d+日", mail)


# On a 360 px phone a code block has 328 px for text, 24 full-width characters of Material's code font.
# Material makes an overflowing block focusable only on devices with hover, so on a phone a wider line
# leaves a scrollable region without keyboard access (axe: scrollable-region-focusable).
PHONE_CODE_COLUMNS = 24


@pytest.mark.parametrize("name", ["notice", "officers"])
def test_mail_examples_fit_a_phone_without_sideways_scrolling(built_site: Path, name: str) -> None:
    blocks = article(built_site, name).xpath(".//pre/code")
    assert blocks
    for block in blocks:
        for line in block.text_content().splitlines():
            columns = sum(1 if unicodedata.east_asian_width(c) in "WF" else 0.5 for c in line)
            assert columns <= PHONE_CODE_COLUMNS, f"{name}: too wide for a phone: {line}"


def test_staff_page_covers_drills_rules_and_what_to_do_after_opening(built_site: Path) -> None:
    text = text_of(article(built_site, "staff"))
    for point in ("定期的", "返信しない", "開いていなくても", "LANケーブル", "初期化", "一人ひとつ"):
        assert point in text


# --- participants -------------------------------------------------------------------------------


def test_participants_page_gives_the_steps_after_opening_in_order(built_site: Path) -> None:
    text = text_of(article(built_site, "participants"))
    steps = ["ネットワークから切り離します", "すぐに上司やセキュリティ責任者に知らせます", "指示に従います"]
    positions = [text.find(step) for step in steps]
    assert -1 not in positions and positions == sorted(positions)
    assert "初期化" in text


def test_spotting_examples_use_only_reserved_example_domains(built_site: Path) -> None:
    # The examples must be fictional: every mail address and URL in them lies under .example (RFC 2606).
    root = article(built_site, "spotting")
    examples = root.xpath(".//div[contains(@class, 'admonition') and contains(@class, 'example')]")
    assert len(examples) >= 3
    hosts = set()
    for example in examples:
        text = text_of(example)
        hosts.update(re.findall(r"@([a-z0-9.-]+)", text))
        hosts.update(re.findall(r"https?://([a-z0-9.-]+)", text))
    assert len(hosts) >= 3
    assert all(host.endswith(".example") for host in hosts), sorted(hosts)


@pytest.mark.parametrize("topic", ["差出人", "件名と本文", "添付ファイル", "リンク", "急がせる"])
def test_spotting_page_has_a_section_per_clue(built_site: Path, topic: str) -> None:
    headings = [text_of(h) for h in article(built_site, "spotting").iter("h3")]
    assert any(topic in heading for heading in headings)


# --- managers and top ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "figure", ["1,064社", "128件", "12%", "112社", "45社", "195件", "75,992件", "29%", "NIST SP800-171"]
)
def test_managers_page_cites_the_pilot_figures(built_site: Path, figure: str) -> None:
    assert figure in text_of(article(built_site, "managers"))


def test_managers_page_leads_to_the_drill_and_the_self_check(built_site: Path) -> None:
    links = resolved_links(article(built_site, "managers"), PAGES["managers"])
    assert {"drill/", "selfcheck/"} <= links


def test_top_page_has_a_path_for_every_audience_and_step(built_site: Path) -> None:
    links = resolved_links(article(built_site, "top"), PAGES["top"])
    expected = {
        "seminars/",
        "drill/",
        "officers/",
        "participants/",
        "managers/",
        "chambers/",
        "help/",
        "selfcheck/",
        "further/",
    }
    assert expected <= links
    text = text_of(article(built_site, "top"))
    for audience in ("経営者", "セキュリティ責任者", "社員", "商工会議所"):
        assert f"{audience}の方" in text


def test_top_page_seminar_lengths_match_the_seminar_data(built_site: Path) -> None:
    sessions = load_yaml(CONTENT, "seminars")["sessions"]
    lengths = {s["kind"]: int(s["duration_min"]) for s in sessions if s["kind"] in ("recorded", "live")}
    text = text_of(article(built_site, "top"))
    assert f"約{lengths['recorded']}分の録画セミナー" in text
    assert f"ライブセミナー(約{lengths['live']}分)" in text


def test_notice_asks_staff_to_watch_the_seminar_first_by_a_date_to_fill(built_site: Path) -> None:
    [block] = article(built_site, "notice").xpath(".//div[contains(@class, 'highlight')]//pre/code")
    mail = block.text_content()
    seminar = mail.index("セミナー")
    assert seminar < mail.index("■ 怪しいメールを受け取ったとき")  # the plan's sandwich: seminar first
    assert "〇月〇日までに見て" in mail
    assert re.search(r"^https?://\S+/seminars/#recorded$", mail, re.MULTILINE)


def test_learning_index_teaches_the_clues_in_general_without_claiming_no_forms(built_site: Path) -> None:
    document = html.fromstring((built_site / "learn" / "index.html").read_text(encoding="utf-8"))
    [root] = document.xpath("//article")
    text = text_of(root)
    assert "入力欄はありません" not in text  # the site has forms; only the drill's own pages have none
    lures = section(root, "lures").xpath(".//li")
    assert len(lures) >= 4
    clues = text_of(section(root, "clues"))
    for where in ("差出人", "宛名", "日本語", "急がせる", "リンク"):
        assert where in clues
    assert any(a.get("href", "").rstrip("/").endswith("participants/spotting") for a in root.iter("a"))


JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def test_every_page_title_is_japanese(built_site: Path) -> None:
    # A page without a title of its own shows its file name in the browser tab ("12 obvious").
    from tests.support.site import SITE_PAGES

    for page in SITE_PAGES:
        title = html.fromstring((built_site / page.file).read_bytes()).findtext(".//title") or ""
        own = title.split(" - ")[0]
        assert JAPANESE.search(own), f"{page.url or 'top'}: title {title!r}"
