"""Learning pages of the drill mails ("これは訓練です"), one per template under `docs/learn/`.

A click in a drill mail lands on `learn/<MM>-<variant>/`. Those pages are small Markdown files
written by this module (`python -m site_build.learn`; a test checks they are current):
headings only, each followed by a marker `<!-- md:learn-mail id=01-obvious part=... -->` that
renders the part from the template itself, so the mail shown, its clues and its subject never
drift from what was sent. `<!-- md:learn-index -->` lists every template on `learn/index.md`.
The pages are left out of the navigation (`not_in_nav` in mkdocs.yml): 24 entries would bury it.
"""

from __future__ import annotations

from pathlib import Path

from markupsafe import Markup

from campaign_core.settings import PROJECT_ROOT
from drill_sender.templates import DrillTemplate, load_all, load_template, preview_html, template_key
from site_build import CONTENT_DIR, PageContext, shortcode

DOCS_LEARN_DIR = PROJECT_ROOT / "docs" / "learn"
VARIANT_LABELS = {"obvious": "見分けやすい例", "subtle": "見分けにくい例"}
# The learning page shows the mail as the recipient saw it, with these in place of their data.
EXAMPLE_EMAIL = "(あなたのメールアドレス)"
EXAMPLE_COMPANY = "(あなたの会社名)"
# The parts of a page after its intro, each under a heading with the part's name as its anchor.
SECTIONS = {"mail": "届いたメール", "clues": "見抜くための手がかり", "next": "このあとすること"}
PARTS = ("intro", *SECTIONS)
# Site pages the parts link to, as `<name>_url` in the snippets.
LINKS = {
    "spotting": "participants/spotting/",
    "participants": "participants/",
    "help": "help/",
    "index": "learn/",
}


def mails_dir() -> Path:
    return CONTENT_DIR / "drill_mails"


def page_title(template: DrillTemplate) -> str:
    return f"これは訓練です:{template.month}月の訓練メール({VARIANT_LABELS[template.variant]})"


def page_markdown(template: DrillTemplate) -> str:
    """The Markdown file of one learning page: front matter, headings and markers only."""
    key = template.key
    marker = f"<!-- md:learn-mail id={key} part={{part}} -->"
    lines = [
        "---",
        f"description: {template.month}月の訓練メール「{template.topic}」の解説です。"
        "メールの手がかりと、このあとにすることをまとめています。",
        "---",
        "",
        f"<!-- Written by `python -m site_build.learn` for content/drill_mails/"
        f"{template.month:02d}/{template.variant}/ -->",
        "",
        f"# {page_title(template)}",
        "",
        marker.format(part="intro"),
        "",
    ]
    for part, heading in SECTIONS.items():
        lines += [f"## {heading} {{ #{part} }}", "", marker.format(part=part), ""]
    return "\n".join(lines)


def expected_pages(directory: Path | None = None) -> dict[str, str]:
    """File name under `docs/learn/` -> content, for every template."""
    return {f"{template.key}.md": page_markdown(template) for template in load_all(directory or mails_dir())}


def write_pages(target: Path = DOCS_LEARN_DIR) -> list[Path]:
    """Write the learning pages and remove those of templates that no longer exist."""
    target.mkdir(parents=True, exist_ok=True)
    pages = expected_pages()
    for stale in target.glob("[0-9][0-9]-*.md"):
        if stale.name not in pages:
            stale.unlink()
    written = []
    for name, text in pages.items():
        path = target / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


@shortcode("learn-mail")
def render_learn_part(ctx: PageContext, args: dict[str, str]) -> str:
    key, part = args.get("id", ""), args.get("part", "")
    if part not in PARTS:
        raise ValueError(f"md:learn-mail part must be one of {', '.join(PARTS)}, not {part!r}")
    month_text, _, variant = key.partition("-")
    if not month_text.isdigit() or template_key(int(month_text), variant) != key:
        raise ValueError(f"md:learn-mail id must look like 01-obvious, not {key!r}")
    template = load_template(int(month_text), variant, mails_dir())
    body = Markup(  # noqa: S704 - rendered by Jinja with autoescape on from our own template
        preview_html(template, recipient_email=EXAMPLE_EMAIL, company=EXAMPLE_COMPANY)
    )
    return ctx.render(
        f"learn_{part}.html",
        mail=template,
        label=VARIANT_LABELS[template.variant],
        body=body,
        example_email=EXAMPLE_EMAIL,
        **{f"{name}_url": ctx.url(path) for name, path in LINKS.items()},
    )


@shortcode("learn-index")
def render_learn_index(ctx: PageContext, args: dict[str, str]) -> str:
    templates = load_all(mails_dir())
    months = [
        (
            month,
            [(t, VARIANT_LABELS[t.variant], ctx.url(t.learn_path)) for t in templates if t.month == month],
        )
        for month in sorted({t.month for t in templates})
    ]
    return ctx.render("learn_index.html", months=months)


def main() -> int:
    written = write_pages()
    for path in written:
        print(f"wrote {path.relative_to(PROJECT_ROOT)}")
    if not written:
        print("learning pages are up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
