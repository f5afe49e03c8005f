"""The forms app as it runs (Lambda entry, local server): its blueprints, guard and error pages."""

from __future__ import annotations

from typing import Unpack

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from campaign_core.mail import MailError
from campaign_core.settings import Settings, load_settings
from campaign_core.web import AppParts, base_app
from form_lambda import guard
from form_lambda.health import bp as health_bp
from form_lambda.views import ROUTES, form_of, html_page
from form_lambda.views import bp as forms_bp


def create_app(settings: Settings | None = None, **parts: Unpack[AppParts]) -> Flask:
    settings = settings or load_settings()
    app = base_app("form_lambda", settings, **parts)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]

    guard.install(app, settings, ROUTES)

    @app.before_request
    def refuse_foreign_posts() -> Response | None:
        if guard.is_refused_origin(settings):
            return html_page("drill", "送信元を確認できませんでした", "refused", status=403)
        return None

    @app.errorhandler(MailError)
    def mail_failed(error: MailError) -> Response:
        # The services undo what they stored before the mail went wrong, so a retry starts clean.
        app.logger.error("mail not sent on %s: %s", request.path, error)
        return html_page(form_of(request.path), "メールをお送りできませんでした", "mail_failed", status=503)

    @app.errorhandler(500)
    def server_error(_error: HTTPException) -> Response:
        return html_page(form_of(request.path), "処理を完了できませんでした", "server_error", status=500)

    @app.errorhandler(413)
    def too_large(_error: HTTPException) -> Response:
        return html_page("drill", "送信された内容が大きすぎます", "too_large", status=413)

    @app.errorhandler(429)
    def too_many(_error: HTTPException) -> Response:
        return html_page("drill", "送信が続いたため、受付を一時的に止めています", "rate_limited", status=429)

    app.register_blueprint(health_bp)
    app.register_blueprint(forms_bp)
    return app
