"""Tracking endpoints under `/t/`: the open pixel and the click redirect.

Views stay thin: they read the request, hand a `Hit` to the tracking service and answer. The pixel
is always a 1x1 GIF (a broken image would tell nothing and alarm a reader); a click goes only to our
own learning page of that very mail (`/t/learn/<token>`), never to a URL taken from the request; a bad
or expired link gets a polite Japanese page, never an error. Every page here is for one person: never
indexed, never cached by a shared cache (CloudFront, a proxy).
"""

from __future__ import annotations

import base64
import re
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from flask import Blueprint, Response, request
from markupsafe import Markup

from campaign_core.deps import Deps
from campaign_core.jst import jst_label
from campaign_core.pages import built_page, replace_article, standalone_page
from campaign_core.tokens import TokenError
from campaign_core.web import app_deps, same_origin
from drill_sender.services import allowlist, checksheet, learn, oneshot_status, report
from drill_sender.services.tracking import PREFETCH_HEADERS, Hit, record_hit

bp = Blueprint("tracking", __name__, url_prefix="/t")

# The smallest transparent GIF (43 bytes).
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
NO_STORE = {
    "Cache-Control": "no-store, no-cache, must-revalidate, private, max-age=0",
    "Pragma": "no-cache",
    "Expires": "0",
    "X-Robots-Tag": "noindex, nofollow",
    "Referrer-Policy": "no-referrer",
}
PAGE_DIR = Path(__file__).resolve().parent
_SKIP_LINK = re.compile(r'(<a href=")#[^"]*(" class="md-skip")')
NOINDEX_META = '<meta name="robots" content="noindex, nofollow">'
_TOC_SIDEBAR = re.compile(
    r'<div class="md-sidebar md-sidebar--secondary".*?(?=<div class="md-content")', re.DOTALL
)


def deps() -> Deps:
    return app_deps(Deps)


def _hit(kind: str, token: str) -> Hit:
    return Hit(
        kind="click" if kind == "click" else "open",
        token=token,
        link=(request.args.get("l") or "")[:32] or None,
        method=request.method,
        user_agent=request.headers.get("User-Agent", ""),
        client=request.remote_addr or "",
        headers={name: request.headers.get(name, "") for name in PREFETCH_HEADERS},
    )


@bp.route("/o/<token>.gif", methods=["GET", "HEAD"])
def open_pixel(token: str) -> Response:
    record_hit(deps(), _hit("open", token))
    return Response(PIXEL, mimetype="image/gif", headers=NO_STORE)


@bp.route("/c/<token>", methods=["GET", "HEAD"])
def click(token: str) -> Response:
    d = deps()
    result = record_hit(d, _hit("click", token))
    if result.message is None:
        return _link_problem(d, "expired" if result.status == "expired" else "invalid")
    # Root-relative: the learning page of this very mail on the host that served this link.
    # `via=click` tells the page the reader has just opened the mail's link, not come from the
    # reveal or follow-up mail later on: only then does it ask them to tell their officer now.
    location = learn.learn_path(learn.learn_token(d, message=result.message)) + "?via=click"
    return Response(status=302, headers={"Location": location, **NO_STORE})


@bp.get("/learn/", defaults={"token": ""})
@bp.get("/learn/<token>")
def learn_page(token: str) -> Response:
    """The mail a participant got and its clues, only through that mail's own signed link."""
    d = deps()
    try:
        mail = learn.load_learn_mail(d, token)
    except TokenError as exc:
        return _link_problem(d, exc.reason, status=404)
    clicked = request.args.get("via") == "click"
    response = _page(d, "これは訓練です", "learn_page.html", "learn", mail=mail, clicked=clicked)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # no form here; the token stays in this tab
    return response


@cache
def _pages() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(PAGE_DIR)), autoescape=True)


def _page(d: Deps, title: str, template: str, anchor: str, status: int = 200, **values: Any) -> Response:
    """Our part inside a built page of the site (its header, navigation and styles)."""
    body = _pages().get_template(template).render(jst=jst_label, **values)
    page = built_page(d.settings.site_dir, "/learn/")
    if page:
        # The borrowed page's table of contents would list headings this page does not have ...
        page = _TOC_SIDEBAR.sub("", page, count=1)
        # ... and its skip link would point at one of them.
        page = _SKIP_LINK.sub(rf"\1#{anchor}\2", page, count=1)
    # The body comes from our own autoescaped templates; request values in it are escaped.
    html = replace_article(page, title, body) if page else standalone_page(title, Markup(body))  # noqa: S704
    # One person's page (a mail they got, their drill's results): never in a search engine.
    html = html.replace("</head>", f"{NOINDEX_META}\n</head>", 1)
    # "same-origin", not "no-referrer": with no referrer a browser posts the sheet with `Origin: null`,
    # and the origin check would refuse the officer; the token still never leaves our origin.
    headers = {**NO_STORE, "Referrer-Policy": "same-origin"}
    return Response(html, status=status, mimetype="text/html", headers=headers)


def _link_problem(d: Deps, reason: str, status: int = 200) -> Response:
    return _page(d, "このリンクは使えません", "link_problem.html", "link-problem", status, reason=reason)


@bp.errorhandler(TokenError)
def bad_link(exc: TokenError) -> Response:
    """A sheet, report or status link that is forged, altered or expired (the services' `*_of`)."""
    return _link_problem(deps(), exc.reason)


@bp.route("/sheet/<token>", methods=["GET", "POST"])
def check_sheet(token: str) -> Response:
    d = deps()
    application_id = checksheet.application_of(d, token)
    errors: dict[str, str] = {}
    saved = False
    if request.method == "POST":
        if not same_origin(d.settings):
            return _link_problem(d, "invalid")
        errors = checksheet.save_sheet(d, application_id, request.form)
        saved = not errors
    sheet = checksheet.load_sheet(d, application_id)
    values = dict(request.form) if errors else checksheet.form_values(sheet)
    return _page(
        d,
        "訓練のチェックシート",
        "check_sheet.html",
        "check-sheet",
        status=400 if errors else 200,
        sheet=sheet,
        values=values,
        errors=errors,
        saved=saved,
        actions=checksheet.ACTIONS,
        action=f"/t/sheet/{token}",
    )


@bp.get("/report/<token>")
def drill_report(token: str) -> Response:
    d = deps()
    application_id = report.application_of(d, token)
    built = report.build_report(d, application_id)
    html = report.render_html(
        built,
        site_url=d.settings.base_url,
        csv_url=f"/t/report/{token}/csv",
        membership=d.membership_values(),
    )
    return Response(html, mimetype="text/html", headers={**NO_STORE, "Referrer-Policy": "same-origin"})


@bp.get("/report/<token>/csv")
def drill_report_csv(token: str) -> Response:
    d = deps()
    application_id = report.application_of(d, token)
    body = report.render_csv(report.build_report(d, application_id))
    disposition = f'attachment; filename="drill-report-{application_id[:8]}.csv"'
    return Response(body, mimetype="text/csv", headers={**NO_STORE, "Content-Disposition": disposition})


@bp.get("/oneshot/<token>")
def oneshot_status_page(token: str) -> Response:
    d = deps()
    request_key = oneshot_status.request_of(d, token)
    status = oneshot_status.load_status(d, request_key)
    return _page(d, "ワンショット体験の結果", "oneshot_status.html", "oneshot-status", oneshot=status)


@bp.get("/allowlist/")
def allowlist_page() -> Response:
    """The allow-listing guide, from this deployment's settings (see services/allowlist.py)."""
    d = deps()
    facts, organisation = allowlist.allowlist_facts(d), d.organisation()
    title = "訓練メールを受け取るための設定"
    return _page(d, title, "allowlist.html", "allowlist", facts=facts, organisation=organisation)
