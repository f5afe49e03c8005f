"""The local outbox in a browser (`/outbox/`): a newcomer rehearsing a drill can read each mail the
service wrote to `var/outbox/` and click its links, as a participant would.

Registered by the local server only (never by the Lambda app), and only answers when mail goes to
the outbox and the request comes from this machine under one of its own host names. Mail HTML is
served as we composed it, with scripts blocked; its links and tracking pixel point at the local
server, so opening a drill mail here records an open, and a click lands on its learning page.
"""

from __future__ import annotations

import email
import email.policy
import ipaddress
import re
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from functools import cache
from pathlib import Path

import jinja2
from flask import Blueprint, Response, abort, current_app, request

from campaign_core.clock import JST
from campaign_core.settings import Settings
from campaign_core.web import is_own_host

bp = Blueprint("outbox", __name__, url_prefix="/outbox")
_NAME = re.compile(r"[0-9a-f]{32}\.eml")
LIMIT = 200
_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "script-src 'none'; object-src 'none'; base-uri 'none'",
    "X-Robots-Tag": "noindex",
}


@dataclass(frozen=True)
class _Mail:
    name: str
    sent: datetime | None
    sender: str
    to: str
    subject: str


def _outbox() -> Path:
    settings: Settings = current_app.config["CAMPAIGN_SETTINGS"]
    remote = request.remote_addr or ""
    try:
        local = ipaddress.ip_address(remote).is_loopback
    except ValueError:
        local = False
    # Loopback only, and only under our own host names: a DNS-rebinding page reaches loopback too.
    if settings.mail_backend != "outbox" or not local or not is_own_host(settings):
        abort(404)
    return settings.outbox_dir


def _read(path: Path) -> EmailMessage:
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    if not isinstance(parsed, EmailMessage):
        abort(404)
    return parsed


def _summary(path: Path) -> _Mail:
    message = _read(path)
    try:
        sent: datetime | None = parsedate_to_datetime(str(message["Date"]))
    except (TypeError, ValueError):
        sent = None
    fields = (str(message[name] or "") for name in ("From", "To", "Subject"))
    return _Mail(path.name, sent, *fields)


@bp.get("/")
def listing() -> Response:
    outbox = _outbox()
    files = sorted(outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime, reverse=True)[:LIMIT]
    page = _page().render(outbox=str(outbox), limit=LIMIT, mails=[_summary(f) for f in files], jst=JST)
    return Response(page, mimetype="text/html", headers=_HEADERS)


@cache
def _page() -> jinja2.Template:
    loader = jinja2.FileSystemLoader(str(Path(__file__).resolve().parent / "templates"))
    return jinja2.Environment(loader=loader, autoescape=True).get_template("outbox.html")


@bp.get("/<name>")
def show(name: str) -> Response:
    outbox = _outbox()
    if not _NAME.fullmatch(name) or not (outbox / name).is_file():
        abort(404)
    message = _read(outbox / name)
    html_part = message.get_body(("html",))
    if html_part is not None:
        return Response(str(html_part.get_content()), mimetype="text/html", headers=_HEADERS)
    text_part = message.get_body(("plain",))
    text = str(text_part.get_content()) if text_part is not None else ""
    return Response(text, mimetype="text/plain", headers=_HEADERS)
