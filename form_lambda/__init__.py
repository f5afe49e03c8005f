"""The forms app: seminar signup, drill application, one-shot request, confirmations."""

from __future__ import annotations

from flask import Flask

from campaign_core.clock import Clock, SystemClock
from campaign_core.settings import Settings, load_settings
from form_lambda.health import bp as health_bp


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> Flask:
    settings = settings or load_settings()
    app = Flask(__name__)
    app.config["CAMPAIGN_SETTINGS"] = settings
    app.config["CAMPAIGN_CLOCK"] = clock or SystemClock()
    app.config["SECRET_KEY"] = settings.secret_key
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.register_blueprint(health_bp)
    return app
