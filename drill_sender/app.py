"""The tracking app (the `/t/` blueprint) as it runs on Lambda; the local server registers the same
blueprint next to the forms (see `local/serve.py`)."""

from __future__ import annotations

from typing import Unpack

from flask import Flask

from campaign_core.settings import Settings, load_settings
from campaign_core.web import AppParts, base_app
from drill_sender.views import bp as tracking_bp


def create_app(settings: Settings | None = None, **parts: Unpack[AppParts]) -> Flask:
    settings = settings or load_settings()
    # Behind CloudFront and API Gateway the client address arrives in X-Forwarded-For
    # (`CAMPAIGN_PROXIES`: how many proxies to trust; 0 locally).
    app = base_app("drill_sender", settings, proxies=settings.forms.proxies, **parts)
    app.register_blueprint(tracking_bp)
    return app
