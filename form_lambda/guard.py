"""Abuse protection around the forms: same-origin posts, rate limits per client and per address,
a body size limit, and a Japanese page for each refusal. No third-party CAPTCHA.

Limits come from settings (`CAMPAIGN_RATE_LIMIT_CLIENT`, `CAMPAIGN_RATE_LIMIT_EMAIL`, "off" to
disable, e.g. for a load test); counters live in memory per process (`CAMPAIGN_RATE_LIMIT_STORAGE`
takes any flask-limiter storage URI for a shared counter).

The limiter is built when the app answers its first request, not when the app is built: importing
flask-limiter imports `limits`, whose package imports its asyncio storages (asyncio, memcached,
redis adapters), a third of the forms Lambda's cold import. Flask accepts new request hooks only
until its first request, so the app's WSGI callable is wrapped and builds the limiter just before
that request reaches Flask."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING

from flask import Blueprint, Flask, request

from campaign_core.normalize import clean_text
from campaign_core.settings import Settings
from campaign_core.web import same_origin

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from flask_limiter import Limiter

MAX_BODY_BYTES = 64 * 1024  # the drill form with 10 participants is well under 8 KB


def email_key() -> str:
    """The rate-limit key of the address a form names (the officer's for the drill form)."""
    address = request.form.get("email") or request.form.get("officer_email") or ""
    key = clean_text(address).lower()
    if key:
        return f"email:{key}"
    from flask_limiter.util import get_remote_address  # loaded with the limiter that calls this

    return f"noemail:{get_remote_address()}"


def create_limiter(app: Flask, settings: Settings, submissions: Blueprint) -> Limiter:
    """The rate limits on the blueprint's POST routes (call before the app's first request)."""
    from flask_limiter import Limiter
    from flask_limiter.util import get_remote_address

    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=settings.forms.rate_limit_storage,
        key_prefix="forms",
    )
    client_limit = settings.forms.rate_limit_client
    email_limit = settings.forms.rate_limit_email
    if client_limit:
        limiter.limit(client_limit, methods=["POST"], scope="client")(submissions)
    if email_limit:
        limiter.limit(email_limit, key_func=email_key, methods=["POST"], scope="email")(submissions)
    return limiter


class LimiterOnFirstRequest:
    """The app's WSGI callable, wrapped: the first request builds the limiter, then every request
    goes on to Flask. Concurrent first requests wait for the one building it."""

    def __init__(self, app: Flask, settings: Settings, submissions: Blueprint) -> None:
        self._app = app
        self._settings = settings
        self._submissions = submissions
        self._wsgi_app: WSGIApplication = app.wsgi_app
        self._limiter: Limiter | None = None
        self._lock = threading.Lock()

    def limiter(self) -> Limiter:
        """The limiter, built now if no request has built it yet."""
        if self._limiter is None:
            with self._lock:
                if self._limiter is None:
                    self._limiter = create_limiter(self._app, self._settings, self._submissions)
        return self._limiter

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if self._limiter is None:
            self.limiter()
        return self._wsgi_app(environ, start_response)


def install(app: Flask, settings: Settings, submissions: Blueprint) -> LimiterOnFirstRequest:
    """Body size limit and rate limits on the blueprint's POST routes (the limiter is built on the
    app's first request; `.limiter()` builds it at once)."""
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.config["MAX_FORM_PARTS"] = 100
    wrapped = LimiterOnFirstRequest(app, settings, submissions)
    app.wsgi_app = wrapped  # type: ignore[method-assign]
    return wrapped


def is_refused_origin(settings: Settings) -> bool:
    return request.method == "POST" and request.path.startswith("/api/") and not same_origin(settings)
