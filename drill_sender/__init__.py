"""Drill runs: schedule, render, send, track (open / click / report), reports and follow-ups.

`create_app` builds the tracking app (the `/t/` blueprint) as it runs on Lambda; the local server
registers the same blueprint next to the forms (see `local/serve.py`).
"""

from __future__ import annotations

from flask import Flask

from campaign_core.clock import Clock
from campaign_core.mail import Mailer
from campaign_core.settings import Settings, load_settings
from campaign_core.store import Store
from campaign_core.web import base_app


def create_app(
    settings: Settings | None = None,
    *,
    store: Store | None = None,
    mailer: Mailer | None = None,
    clock: Clock | None = None,
) -> Flask:
    from drill_sender.views import bp as tracking_bp

    settings = settings or load_settings()
    # Behind CloudFront and API Gateway the client address arrives in X-Forwarded-For
    # (`CAMPAIGN_PROXIES`: how many proxies to trust; 0 locally).
    proxies = int(settings.extra.get("CAMPAIGN_PROXIES", "0") or 0)
    app = base_app(__name__, settings, store=store, mailer=mailer, clock=clock, proxies=proxies)
    app.register_blueprint(tracking_bp)
    return app
