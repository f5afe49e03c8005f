"""`<!-- md:form name=drill -->`: the empty signup form, from the same template the forms app fills
on an error (`form_lambda/templates/forms/`), so the markup and labels have one source."""

from __future__ import annotations

from form_lambda.rendering import load_form_content, render_form
from site_build import CONTENT_DIR, PageContext, shortcode


@shortcode("form")
def form(ctx: PageContext, args: dict[str, str]) -> str:
    html = render_form(args["name"], load_form_content(CONTENT_DIR, ctx.built_at))
    # Markdown ends a raw HTML block at a blank line: the empty form has no values to keep, so its
    # blank lines can go.
    return "\n".join(line for line in html.splitlines() if line.strip())
