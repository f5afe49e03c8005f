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


_LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def _host_name(host: str) -> str:
    """`Example.jp:8000` -> `example.jp`, `[::1]:8000` -> `::1`."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def own_host_names(settings: Settings) -> frozenset[str]:
    """The host names the app answers to as itself: the base URL's, the address it listens on, and
    the loopback names when it listens on loopback. Any other Host header is a name someone else
    pointed at us (DNS rebinding: a page of theirs whose name now resolves to 127.0.0.1)."""
    names = {_host_name(urlsplit(settings.base_url).netloc), _host_name(settings.host)}
    if names & _LOOPBACK_NAMES or settings.host.startswith("127."):
        names |= _LOOPBACK_NAMES
    return frozenset(name for name in names if name)


def is_own_host(settings: Settings) -> bool:
    """Whether the request's Host header names this app (`own_host_names`)."""
    return _host_name(request.host) in own_host_names(settings)


def same_origin(settings: Settings) -> bool:
    """A post must come from our own pages: Origin (or, without it, Referer) names our origin.

    Browsers send Origin with every form post; a request with neither header (some privacy tools
    strip both) is let through: the other checks still apply to it. The origin of the address the
    request came to counts only when its host is one of ours: an attacker's name rebound to our
    address would otherwise match itself."""
    allowed = {_origin(settings.base_url)}
    if is_own_host(settings):
        allowed.add(_origin(request.host_url))
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin.lower() in allowed
    referer = request.headers.get("Referer")
    if referer:
        return _origin(referer) in allowed
    return True
