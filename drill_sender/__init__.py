"""Drill runs: schedule, render, send, track (open / click / report), reports and follow-ups.

`create_app` builds the tracking app (the `/t/` blueprint) as it runs on Lambda; the local server
registers the same blueprint next to the forms (see `local/serve.py`).
"""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from campaign_core.clock import Clock, SystemClock
from campaign_core.mail import Mailer, create_mailer
from campaign_core.settings import Settings, load_settings
from campaign_core.store import Store, create_store


def create_app(
    settings: Settings | None = None,
    *,
    store: Store | None = None,
    mailer: Mailer | None = None,
    clock: Clock | None = None,
) -> Flask:
    from drill_sender.views import bp as tracking_bp

    settings = settings or load_settings()
    app = Flask(__name__)
    app.config["CAMPAIGN_SETTINGS"] = settings
    app.config["CAMPAIGN_CLOCK"] = clock or SystemClock()
    app.config["SECRET_KEY"] = settings.secret_key
    app.extensions["campaign_store"] = store or create_store(settings)
    app.extensions["campaign_mailer"] = mailer or create_mailer(settings)
    # Behind CloudFront and API Gateway the client address arrives in X-Forwarded-For
    # (`CAMPAIGN_PROXIES`: how many proxies to trust; 0 locally).
    proxies = settings.forms.proxies
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies)  # type: ignore[method-assign]
    app.register_blueprint(tracking_bp)
    return app
