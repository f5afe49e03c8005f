"""The forms' HTTP endpoints. Views stay thin: parse -> validate -> one service call -> render.

Pages are the built site's pages with the app's part put in (see `rendering`), so every answer
has the site's layout; JSON only for the two small helpers the form pages' script calls.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from flask import Blueprint, Response, current_app, jsonify, redirect, request
from werkzeug.wrappers import Response as WerkzeugResponse

from campaign_core.address import lookup_postal_code
from campaign_core.deps import Deps
from campaign_core.pages import built_page, prefix_title, replace_article, standalone_page
from campaign_core.web import app_deps
from form_lambda.guard import Routes
from form_lambda.rendering import (
    load_chambers,
    load_consent,
    load_form_content,
    load_sessions,
    render_form,
    render_snippet,
    replace_form,
)
from form_lambda.services import drill, oneshot, seminar
from form_lambda.services.common import maintenance_message
from form_lambda.validation import SeminarInput, validate_drill, validate_oneshot, validate_seminar

bp = Blueprint("forms", __name__, url_prefix="/api")

FIELDS: dict[str, tuple[str, ...]] = {
    "seminar": (
        "session_id", "company", "name", "email", "phone", "prefecture", "chamber", "member", "consent",
    ),
    "drill": (
        "company", "office", "corporate_number", "postal_code", "prefecture", "address", "phone",
        "industry", "employees", "chamber", "member", "officer_name", "officer_email", "participants",
        "variant", "reveal", "followup", "consent",
    ),
    "oneshot": ("email", "company", "consent"),
}  # fmt: skip
TITLES = {
    "seminar": "セミナーのお申し込み",
    "drill": "訓練のお申し込み",
    "oneshot": "ワンショット体験のお申し込み",
}
HONEYPOT = "website"
Cleaned = TypeVar("Cleaned")


def form_of(path: str) -> str:
    """The form a request path belongs to, for pages answered outside a view (errors)."""
    for form in ("seminar", "oneshot"):
        if path.startswith(f"/api/{form}"):
            return form
    return "drill"


def deps() -> Deps:
    return app_deps(Deps)


def html_page(form: str, title: str, template: str, status: int = 200, **values: Any) -> Response:
    """A result page: the built form page with its article replaced by `pages/<template>.html`."""
    d = deps()
    body = render_snippet(
        f"pages/{template}.html", organisation=d.organisation(), **d.membership_values(), **values
    )
    page = built_page(d.settings.site_dir, f"/apply/{form}/")
    html = replace_article(page, title, body) if page else standalone_page(title, body)
    return Response(html, status=status, mimetype="text/html")


def form_page(
    form: str,
    values: Mapping[str, str],
    errors: Mapping[str, str],
    *,
    status: int = 400,
    maintenance: str | None = None,
) -> Response:
    """The form again, filled in as sent, with the messages: in the built page, in place of the empty form."""
    d = deps()
    content = load_form_content(d.settings.content_dir, d.now())
    form_html = render_form(form, content, values=values, errors=errors, maintenance=maintenance)
    page = built_page(d.settings.site_dir, f"/apply/{form}/")
    html = replace_form(page, form_html) if page else standalone_page(TITLES[form], form_html)
    if errors:
        html = prefix_title(html, f"入力内容をご確認ください({len(errors)}件) - ")
    return Response(html, status=status, mimetype="text/html")


def form_values(form: str) -> dict[str, str]:
    values = {name: request.form.get(name, "") for name in FIELDS[form]}
    if form == "drill":
        for box in ("reveal", "followup"):
            if box not in request.form:  # an unchecked box sends nothing; keep it unchecked
                values[box] = request.form.get("reveal_followup", "off")
    return values


def _paused(form: str, values: Mapping[str, str]) -> Response | None:
    message = maintenance_message(deps().store, deps().settings)
    if message is None:
        return None
    return form_page(form, values, {}, status=503, maintenance=message)


def _bot(form: str) -> Response | None:
    """A filled honeypot: answer as if all went well, store and send nothing."""
    if request.form.get(HONEYPOT, ""):
        current_app.logger.info("honeypot filled on %s: dropped", form)
        return html_page(form, "送信を受け付けました", "received")
    return None


def _received(
    form: str, validate: Callable[[Mapping[str, str]], tuple[Cleaned | None, Mapping[str, str]]]
) -> tuple[dict[str, str], Cleaned | Response]:
    """A form's posted values and what they validate to; instead, the answer when the form is not
    to be handled (paused, a bot) or the form again with its errors."""
    values = form_values(form)
    early = _paused(form, values) or _bot(form)
    if early is not None:
        return values, early
    cleaned, errors = validate(values)
    if cleaned is None:
        return values, form_page(form, values, errors)
    return values, cleaned


def _pending_page(form: str, template: str, email: str, **values: Any) -> Response:
    """The page after a form whose address must confirm first: the mail is on its way, with the
    hours its link stays valid."""
    hours = int(deps().confirm_window.total_seconds() // 3600)
    return html_page(form, "確認メールをお送りしました", template, email=email, hours=hours, **values)


def _consent_version() -> str:
    return load_consent(deps().settings.content_dir).version


class _Answer(Protocol):
    @property
    def status(self) -> str: ...


Answer = TypeVar("Answer", bound=_Answer)
Taken = TypeVar("Taken", contravariant=True)
Given = TypeVar("Given", bound=_Answer, covariant=True)


class _Service(Protocol[Taken, Given]):
    """A form's service: `seminar.sign_up`, `drill.apply`, `oneshot.request`."""

    def __call__(self, deps: Deps, data: Taken, /, *, consent_version: str) -> Given: ...


def _submitted(
    form: str,
    validate: Callable[[Mapping[str, str]], tuple[Cleaned | None, Mapping[str, str]]],
    service: _Service[Cleaned, Answer],
) -> tuple[dict[str, str], Cleaned, Answer] | Response:
    """A form's post handed to its service with the consent text's version: the posted values, what
    they validate to and the service's answer; instead, the answer when the form is not to be
    handled (`_received`) or the mailbox has had its day's mails."""
    values, cleaned = _received(form, validate)
    if isinstance(cleaned, Response):
        return cleaned
    result = service(deps(), cleaned, consent_version=_consent_version())
    if result.status == "mail_limit":
        return _mail_limit(form)
    return values, cleaned, result


@bp.post("/seminar")
def seminar_submit() -> Response:
    content = deps().settings.content_dir

    def validate(values: Mapping[str, str]) -> tuple[SeminarInput | None, Mapping[str, str]]:
        session_ids = [s.id for s in load_sessions(content)]
        return validate_seminar(values, session_ids=session_ids, chambers=load_chambers(content))

    submitted = _submitted("seminar", validate, seminar.sign_up)
    if isinstance(submitted, Response):
        return submitted
    values, cleaned, result = submitted
    if result.status == "unavailable":
        message = "このセミナーは受付を終了しました。ほかのセミナーを選んでください。"
        return form_page("seminar", values, {"session_id": message})
    if result.status == "pending":  # a live session: the seat waits for the address to confirm
        return _pending_page("seminar", "seminar_pending", cleaned.email, session=result.session)
    return html_page(
        "seminar", "セミナーのお申し込みを受け付けました", "seminar_done", session=result.session,
        channel=result.channel, email=cleaned.email,
    )  # fmt: skip


@bp.post("/drill")
def drill_submit() -> Response:
    content = deps().settings.content_dir
    submitted = _submitted("drill", lambda v: validate_drill(v, chambers=load_chambers(content)), drill.apply)
    if isinstance(submitted, Response):
        return submitted
    _, cleaned, result = submitted
    if result.status == "office_taken":
        return html_page("drill", "この事業所はすでにお申し込みを受け付けています", "drill_taken", status=409)
    return _pending_page("drill", "drill_pending", cleaned.officer_email)


def _mail_limit(form: str) -> Response:
    return html_page(form, "このアドレスへのメールは本日の上限に達しました", "mail_limit", status=429)


def _link_problem(form: str, reason: str) -> Response:
    return html_page(form, "リンクを確認できませんでした", "link_problem", status=400, reason=reason)


# The pages the mailed links open, by address: the form, the token's check, the title, the
# button and the text above it.
BUTTON_PAGES: dict[str, tuple[str, Callable[[Deps, str], object], str, str, str]] = {
    "/api/seminar/confirm": (
        "seminar", seminar.check_token, "セミナーのお申し込みの確定", "お申し込みを確定する",
        "ボタンを押すと、セミナーのお申し込みが確定し、参加のご案内をメールでお送りします。",
    ),
    "/api/drill/confirm": (
        "drill", drill.check_confirm_token, "お申し込みの確定", "お申し込みを確定する",
        "ボタンを押すと、訓練のお申し込みが確定します。",
    ),
    "/api/drill/participant": (
        "drill", drill.check_participant_token, "訓練メールの受け取りの確認",
        "訓練メールの受け取りを承諾する",
        "セキュリティ責任者の方が、あなたのアドレスを訓練の参加者として登録しました。"
        "ボタンを押すと、このアドレスに訓練メールが届くようになります。心当たりがなければ、何もせずにこのページを閉じてください。",
    ),
    "/api/oneshot/confirm": (
        "oneshot", oneshot.check_token, "ワンショット体験の確定", "体験メールを受け取る",
        "ボタンを押すと、このアドレスあてに体験用の訓練メールを1通お送りします。",
    ),
}  # fmt: skip


@bp.get("/seminar/confirm")
@bp.get("/drill/confirm")
@bp.get("/drill/participant")
@bp.get("/oneshot/confirm")
def button_page() -> Response:
    """The page a mailed link opens: one button that posts the token back to the same address, so
    mail scanners that open links confirm nothing; only the person who presses it does."""
    rule = request.url_rule.rule if request.url_rule else request.path
    form, check, title, button, lead = BUTTON_PAGES[rule]
    token = request.args.get("token", "")
    checked = check(deps(), token)
    if isinstance(checked, drill.ConfirmResult | oneshot.OneshotResult | seminar.SignupResult):
        return _link_problem(form, checked.status)
    return html_page(
        form, title, "confirm_button", action=request.path, token=token, button=button, lead=lead
    )


def _done_page(
    form: str,
    result: drill.ConfirmResult | oneshot.OneshotResult | seminar.SignupResult,
    done: str,
    title: str,
    template: str,
    **values: Any,
) -> Response:
    """The answer to a button page's post: `template` when the token did its work now (`done`) or
    had done it before, the link problem otherwise."""
    if result.status not in (done, "already"):
        return _link_problem(form, result.status)
    return html_page(form, title, template, **values)


@bp.post("/seminar/confirm")
def seminar_confirm() -> Response:
    result = seminar.confirm(deps(), request.form.get("token", ""))
    if result.status == "unavailable":
        return _link_problem("seminar", "expired")
    return _done_page(
        "seminar", result, "signed_up", "セミナーのお申し込みを受け付けました", "seminar_done",
        session=result.session, channel=result.channel, email=result.email,
    )  # fmt: skip


@bp.post("/drill/confirm")
def drill_confirm() -> Response:
    result = drill.confirm(deps(), request.form.get("token", ""))
    return _done_page(
        "drill", result, "accepted", "お申し込みが確定しました", "drill_accepted",
        application=result.application, already=result.status == "already",
    )  # fmt: skip


@bp.post("/drill/participant")
def participant_confirm() -> Response:
    result = drill.confirm_participant(deps(), request.form.get("token", ""))
    return _done_page("drill", result, "accepted", "ご確認ありがとうございました", "participant_confirmed")


@bp.post("/oneshot")
def oneshot_submit() -> Response:
    submitted = _submitted("oneshot", validate_oneshot, oneshot.request)
    if isinstance(submitted, Response):
        return submitted
    _, cleaned, _ = submitted
    return _pending_page("oneshot", "oneshot_pending", cleaned.email)


@bp.post("/oneshot/confirm")
def oneshot_confirm() -> Response:
    result = oneshot.confirm(deps(), request.form.get("token", ""))
    return _done_page(
        "oneshot", result, "confirmed", "ワンショット体験を受け付けました", "oneshot_confirmed",
        request_data=result.request,
    )  # fmt: skip


# The rate limits' routes (`guard`): the form posts count per client and per mailbox, the
# confirmation buttons' posts per link.
ROUTES = Routes(
    submissions=("forms.seminar_submit", "forms.drill_submit", "forms.oneshot_submit"),
    confirmations=(
        "forms.seminar_confirm",
        "forms.drill_confirm",
        "forms.participant_confirm",
        "forms.oneshot_confirm",
    ),
)


@bp.get("/seminar")
@bp.get("/drill")
@bp.get("/oneshot")
def form_address() -> WerkzeugResponse:
    """Someone opened a form's API address (a bookmark, a reload): send them to the form page."""
    return redirect(f"/apply/{form_of(request.path)}/", code=303)


@bp.get("/postal/<code>")
def postal(code: str) -> Response:
    """Prefecture and address of a postal code, for the form pages' script (offline data)."""
    found = lookup_postal_code(code)
    if found is None:
        response = jsonify({"error": "not_found"})
        response.status_code = 404
        return response
    response = jsonify(
        {"postal_code": found.postal_code, "prefecture": found.prefecture, "address": found.address}
    )
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.get("/status")
def status() -> Response:
    message = maintenance_message(deps().store, deps().settings)
    response = jsonify({"intake": "open" if message is None else "maintenance", "message": message or ""})
    response.headers["Cache-Control"] = "no-store"
    return response
