"""Abuse protection around the forms: same-origin posts, rate limits, a body size limit, and a
Japanese page for each refusal. No third-party CAPTCHA.

Limits come from settings (`CAMPAIGN_RATE_LIMIT_CLIENT`, `_EMAIL`, `_TOKEN`, "off" to disable, e.g.
for a load test). The form posts count per client address and per mailbox (`mailbox_key`: case and
`+tags` do not make a new one), each across all three forms; a confirmation button's post counts
per link, never per client address, so colleagues behind one office NAT all get through and junk
posts block nobody else. Counters live in the store (`rate_store`), shared by every Lambda
container; `CAMPAIGN_RATE_LIMIT_STORAGE` takes any flask-limiter storage URI instead.

The limiter is built when the app answers its first request, not when the app is built: importing
flask-limiter imports `limits`, whose package imports its asyncio storages (asyncio, memcached,
redis adapters), a third of the forms Lambda's cold import. Flask accepts new request hooks only
until its first request, so the app's WSGI callable is wrapped and builds the limiter just before
that request reaches Flask."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Flask, request

from campaign_core.emails import mailbox_key
from campaign_core.normalize import clean_text
from campaign_core.settings import Settings
from campaign_core.web import CLOCK, STORE, same_origin

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from flask_limiter import Limiter

MAX_BODY_BYTES = 64 * 1024  # the drill form with 10 participants is well under 8 KB


def _hashed(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def email_key() -> str:
    """The rate-limit key of the mailbox a form names (the officer's for the drill form)."""
    address = clean_text(request.form.get("email") or request.form.get("officer_email") or "")
    if "@" in address:
        return f"mailbox:{_hashed(mailbox_key(address))}"
    from flask_limiter.util import get_remote_address  # loaded with the limiter that calls this

    return f"noemail:{get_remote_address()}"


def token_key() -> str:
    """The rate-limit key of a confirmation button's post: its link's token."""
    return f"token:{_hashed(request.form.get('token', ''))}"


@dataclass(frozen=True)
class Routes:
    """The endpoints the limits go on: form posts, and the posts of confirmation buttons."""

    submissions: tuple[str, ...]
    confirmations: tuple[str, ...]


def create_limiter(app: Flask, settings: Settings, routes: Routes) -> Limiter:
    """The rate limits on the routes' POSTs (call before the app's first request)."""
    from flask_limiter import Limiter
    from flask_limiter.util import get_remote_address

    from form_lambda import rate_store  # registers the campaign-store:// scheme

    options: dict[str, Any] = {}
    if settings.forms.rate_limit_storage.startswith(f"{rate_store.SCHEME}://"):
        options = {"store": app.extensions[STORE], "clock": app.config[CLOCK]}
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=settings.forms.rate_limit_storage,
        storage_options=options,
        key_prefix="forms",
    )
    forms = settings.forms
    limits = [
        (forms.rate_limit_client, "client", get_remote_address, routes.submissions),
        (forms.rate_limit_email, "mailbox", email_key, routes.submissions),
        (forms.rate_limit_token, "token", token_key, routes.confirmations),
    ]
    for limit, scope, key, endpoints in limits:
        if limit:
            shared = limiter.shared_limit(limit, scope=scope, key_func=key, methods=["POST"])
            # flask-limiter checks a decorated limit in the wrapper it returns: the app must call
            # the wrapper (the views were registered before the limiter existed).
            for endpoint in endpoints:
                view: Callable[..., Any] = app.view_functions[endpoint]
                app.view_functions[endpoint] = shared(view)
    return limiter


class LimiterOnFirstRequest:
    """The app's WSGI callable, wrapped: the first request builds the limiter, then every request
    goes on to Flask. Concurrent first requests wait for the one building it."""

    def __init__(self, app: Flask, settings: Settings, routes: Routes) -> None:
        self._app = app
        self._settings = settings
        self._routes = routes
        self._wsgi_app: WSGIApplication = app.wsgi_app
        self._limiter: Limiter | None = None
        self._lock = threading.Lock()

    def limiter(self) -> Limiter:
        """The limiter, built now if no request has built it yet."""
        if self._limiter is None:
            with self._lock:
                if self._limiter is None:
                    self._limiter = create_limiter(self._app, self._settings, self._routes)
        return self._limiter

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if self._limiter is None:
            self.limiter()
        return self._wsgi_app(environ, start_response)


def install(app: Flask, settings: Settings, routes: Routes) -> LimiterOnFirstRequest:
    """Body size limit and rate limits on the routes' POSTs (the limiter is built on the app's
    first request; `.limiter()` builds it at once)."""
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.config["MAX_FORM_PARTS"] = 100
    wrapped = LimiterOnFirstRequest(app, settings, routes)
    app.wsgi_app = wrapped  # type: ignore[method-assign]
    return wrapped


def is_refused_origin(settings: Settings) -> bool:
    return request.method == "POST" and request.path.startswith("/api/") and not same_origin(settings)
