"""What both Flask apps are built with, and what they check on a request."""

from __future__ import annotations

from typing import Protocol, TypedDict, TypeVar, Unpack
from urllib.parse import urlsplit

from flask import Flask, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

from campaign_core.clock import Clock, SystemClock
from campaign_core.mail import Mailer, create_mailer
from campaign_core.settings import Settings
from campaign_core.store import Store, create_store

STORE = "campaign_store"  # app.extensions
MAILER = "campaign_mailer"  # app.extensions
SETTINGS = "CAMPAIGN_SETTINGS"  # app.config
CLOCK = "CAMPAIGN_CLOCK"  # app.config

DepsT = TypeVar("DepsT", covariant=True)


class DepsFactory(Protocol[DepsT]):
    """What the services take, built from an app's parts (a `Deps` class)."""

    def __call__(self, *, store: Store, mailer: Mailer, clock: Clock, settings: Settings) -> DepsT: ...


class AppParts(TypedDict, total=False):
    """What an app factory may be given instead of building it from settings (tests, Lambda entries)."""

    store: Store | None
    mailer: Mailer | None
    clock: Clock | None


def base_app(name: str, settings: Settings, *, proxies: int = 0, **parts: Unpack[AppParts]) -> Flask:
    """A Flask app with the settings, clock, secret key, store and mailer every app of the kit has.

    Adapters are built here, once, from settings, unless `parts` brings them.
    `proxies`: how many proxies in front to trust for the client address (X-Forwarded-For)."""
    app = Flask(name)
    app.config[SETTINGS] = settings
    app.config[CLOCK] = parts.get("clock") or SystemClock()
    app.config["SECRET_KEY"] = settings.secret_key
    store = app.extensions[STORE] = parts.get("store") or create_store(settings)
    app.extensions[MAILER] = parts.get("mailer") or create_mailer(settings, store)
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies)  # type: ignore[method-assign]
    return app


def app_deps(factory: DepsFactory[DepsT], app: Flask | None = None) -> DepsT:
    """The services' dependencies from an app built by `base_app` (the current app by default)."""
    app = app or current_app
    return factory(
        store=app.extensions[STORE],
        mailer=app.extensions[MAILER],
        clock=app.config[CLOCK],
        settings=app.config[SETTINGS],
    )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def same_origin(settings: Settings) -> bool:
    """A post must come from our own pages: Origin (or, without it, Referer) names our origin.

    Browsers send Origin with every form post; a request with neither header (some privacy tools
    strip both) is let through: the other checks still apply to it."""
    allowed = {_origin(settings.base_url), _origin(request.host_url)}
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin.lower() in allowed
    referer = request.headers.get("Referer")
    if referer:
        return _origin(referer) in allowed
    return True
